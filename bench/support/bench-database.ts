import mysql from "mysql2/promise";
import { exactCollation } from "../../lib/db/mysql-server";

/** The bench's own connection (as the `shop` user): reads for invariant checks, drops at the end. */
export async function connectBenchDatabase(databaseUrl: string): Promise<mysql.Connection> {
	const url = new URL(databaseUrl);
	return mysql.createConnection({
		host: url.hostname,
		port: Number(url.port || 3306),
		user: decodeURIComponent(url.username),
		password: decodeURIComponent(url.password),
		// As the shop's nodes read it (lib/db/sequelize-factory.ts).
		socketPath: url.searchParams.get("socket") || undefined,
	});
}

/** Creates `name` (if missing) with the exact (NO PAD) collation the shop's own databases get. */
export async function createBenchDatabase(conn: mysql.Connection, name: string): Promise<void> {
	const collation = await exactCollation(async (sql) => (await conn.query(sql))[0] as Array<{ version: string }>);
	await conn.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE ${collation}`);
}

/** Drops every database whose name starts with the run's prefix (and only those). */
export async function dropDatabasesWithPrefix(conn: mysql.Connection, prefix: string): Promise<string[]> {
	if (!/^shop_bench_[A-Za-z0-9]+_$/.test(prefix)) throw new Error(`refusing to drop databases with prefix "${prefix}"`);
	const [rows] = await conn.query<mysql.RowDataPacket[]>("SHOW DATABASES LIKE ?", [`${prefix.replace(/_/g, "\\_")}%`]);
	const names = rows.map((row) => String(Object.values(row)[0]));
	for (const name of names) await conn.query(`DROP DATABASE \`${name}\``);
	return names;
}

export interface ServerFacts {
	version: string;
	flushLogAtTrxCommit: number;
}

export async function serverFacts(conn: mysql.Connection): Promise<ServerFacts> {
	const [rows] = await conn.query<mysql.RowDataPacket[]>(
		"SELECT VERSION() AS version, @@GLOBAL.innodb_flush_log_at_trx_commit AS flush",
	);
	return { version: String(rows[0]?.version), flushLogAtTrxCommit: Number(rows[0]?.flush) };
}
