import type { QueryInterface, Sequelize } from "sequelize";
import { SequelizeStorage, Umzug } from "umzug";

/** One schema change of a service. Names sort in the order they must run (`001-create-stock`). */
export interface Migration {
	name: string;
	up(queryInterface: QueryInterface): Promise<void>;
	down(queryInterface: QueryInterface): Promise<void>;
}

const LOCK_TIMEOUT_S = 60;

function migrator(sequelize: Sequelize, migrations: readonly Migration[]) {
	return new Umzug({
		migrations: migrations.map((m) => ({
			name: m.name,
			up: ({ context }: { context: QueryInterface }) => m.up(context),
			down: ({ context }: { context: QueryInterface }) => m.down(context),
		})),
		context: sequelize.getQueryInterface(),
		storage: new SequelizeStorage({ sequelize, tableName: "schema_migrations" }),
		logger: undefined,
	});
}

/** Migration runs per SQLite file in this process (SQLite files are not shared between processes). */
const sqliteRuns = new Map<string, Promise<unknown>>();

function serialisedPerFile<T>(file: string, run: () => Promise<T>): Promise<T> {
	const previous = sqliteRuns.get(file) ?? Promise.resolve();
	const next = previous.catch(() => undefined).then(run);
	sqliteRuns.set(file, next);
	return next;
}

/**
 * Applies pending migrations; returns the names applied. On MariaDB, nodes starting at once
 * serialise on a named lock so each migration runs once; on SQLite (one process, embedded mode)
 * brokers of the same process take turns.
 */
export async function migrate(sequelize: Sequelize, migrations: readonly Migration[]): Promise<string[]> {
	const run = async () => (await migrator(sequelize, migrations).up()).map((m) => m.name);
	if (sequelize.getDialect() !== "mysql") {
		return serialisedPerFile(String((sequelize as unknown as { options: { storage?: string } }).options.storage), run);
	}

	const lockName = `migrate:${sequelize.getDatabaseName()}`;
	// A named lock belongs to one connection: hold it on a dedicated one for the whole run.
	return sequelize.transaction(async (tx) => {
		const [rows] = await sequelize.query("SELECT GET_LOCK(?, ?) AS acquired", {
			replacements: [lockName, LOCK_TIMEOUT_S],
			transaction: tx,
		});
		if ((rows as Array<{ acquired: number }>)[0]?.acquired !== 1) {
			throw new Error(`could not take the migration lock "${lockName}" within ${LOCK_TIMEOUT_S}s`);
		}
		try {
			return await run();
		} finally {
			await sequelize.query("SELECT RELEASE_LOCK(?)", { replacements: [lockName], transaction: tx });
		}
	});
}
