import type { Sequelize } from "sequelize";

/** Statements that only read: they never wait for SQLite's write lock (WAL mode, set by DbMixin). */
const READ_ONLY = /^\s*(SELECT|PRAGMA|EXPLAIN|WITH\s+[\s\S]*?\)\s*SELECT)\b/i;

type TransactionFn = (...args: unknown[]) => Promise<unknown>;
type QueryFn = (sql: unknown, options?: { transaction?: unknown }) => Promise<unknown>;

/**
 * SQLite has one writer at a time, and node-sqlite3 waits for the write lock (busy timeout) inside
 * libuv's small thread pool. Enough waiting writers fill the pool, and the writer that holds the lock
 * then gets no thread to finish on: everything stalls until the busy timeouts fail. So on SQLite,
 * writers take turns here, in JavaScript, before they touch the database: a managed transaction, or
 * a write outside a transaction, runs only when no other one is running. Statements inside a
 * transaction (`options.transaction`) and reads pass straight through.
 */
export function serializeSqliteWrites(sequelize: Sequelize): void {
	let tail: Promise<unknown> = Promise.resolve();
	const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
		const run = tail.then(work, work);
		tail = run.catch(() => undefined);
		return run;
	};

	const target = sequelize as unknown as { transaction: TransactionFn; query: QueryFn };
	const transaction = target.transaction.bind(sequelize);
	target.transaction = (...args: unknown[]) => {
		const options = typeof args[0] === "object" ? (args[0] as { transaction?: unknown }) : undefined;
		const managed = args.some((a) => typeof a === "function");
		// A savepoint inside a running transaction already has the turn; an unmanaged one could not give it back.
		if (options?.transaction || !managed) return transaction(...args);
		return inTurn(() => transaction(...args));
	};
	const query = target.query.bind(sequelize);
	target.query = (sql, options) => {
		const text = typeof sql === "string" ? sql : String((sql as { query?: string }).query ?? "");
		if (options?.transaction || READ_ONLY.test(text)) return query(sql, options);
		return inTurn(() => query(sql, options));
	};
}
