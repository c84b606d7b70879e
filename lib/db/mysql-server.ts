// What a MariaDB/MySQL server is (MariaDB or MySQL, which version) and what follows from it.
import { QueryTypes, type Sequelize } from "sequelize";

/**
 * The collation under which text keys compare exactly as JavaScript strings do. MariaDB's and MySQL
 * 5.7's `utf8mb4_bin` is PAD SPACE: 'SKU-1' = 'SKU-1 ', so two ids the services tell apart would share
 * one row. The NO PAD binary collations compare every byte. (SQLite compares text byte by byte already.)
 */
export async function exactCollation(query: (sql: string) => Promise<Array<{ version: string }>>): Promise<string> {
	const [row] = await query(SERVER_VERSION_SQL);
	const version = row?.version ?? "";
	if (isMariaDb(version)) return "utf8mb4_nopad_bin";
	// MySQL 8's binary collation is NO PAD; older MySQL has none, and keeps the PAD SPACE one.
	return /^[89]\.|^\d{2,}\./.test(version) ? "utf8mb4_0900_bin" : "utf8mb4_bin";
}

/** exactCollation on a Sequelize connection. */
export function exactCollationOf(db: Sequelize): Promise<string> {
	return exactCollation((sql) => db.query<{ version: string }>(sql, { type: QueryTypes.SELECT }));
}

const SERVER_VERSION_SQL = "SELECT VERSION() AS version";

function isMariaDb(version: string): boolean {
	return /mariadb/i.test(version);
}

const mariaDbServers = new WeakMap<Sequelize, Promise<boolean>>();

/**
 * True when the Sequelize connection is to a MariaDB server (not MySQL, not SQLite). Asked of the server
 * once per Sequelize instance: the outbox, the consumer dedup and the inventory's commits all ask.
 */
export function isMariaDbServer(db: Sequelize): Promise<boolean> {
	if (db.getDialect() !== "mysql") return Promise.resolve(false);
	let answer = mariaDbServers.get(db);
	if (!answer) {
		answer = db
			.query<{ version: string }>(SERVER_VERSION_SQL, { type: QueryTypes.SELECT })
			.then(([row]) => isMariaDb(row?.version ?? ""));
		// A failed question (server down) is asked again next time.
		answer.catch(() => mariaDbServers.delete(db));
		mariaDbServers.set(db, answer);
	}
	return answer;
}

/**
 * Makes the current MariaDB/MySQL database and every table in it compare text exactly (new tables
 * inherit the database default). For a service's migration; a no-op on SQLite.
 */
export async function convertToExactCollation(db: Sequelize, collation?: string): Promise<void> {
	if (db.getDialect() !== "mysql") return;
	const target = collation ?? (await exactCollationOf(db));
	const database = db.getDatabaseName();
	await db.query(`ALTER DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE ${target}`);
	const tables = await db.query<{ name: string }>(
		"SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
		{ type: QueryTypes.SELECT },
	);
	for (const { name } of tables) {
		await db.query(`ALTER TABLE \`${name}\` CONVERT TO CHARACTER SET utf8mb4 COLLATE ${target}`);
	}
}
