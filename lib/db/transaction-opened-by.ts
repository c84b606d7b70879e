import { type Sequelize, Transaction } from "sequelize";

/** The statement a transaction opens with, and the errors of it the caller handles itself. */
export interface OpeningStatement {
	sql: string;
	replacements: unknown[];
	/** An error of this statement that leaves the transaction usable (e.g. a duplicate key); others abort it. */
	expected(err: unknown): boolean;
}

/** Sequelize's transaction, except that it does not send START TRANSACTION on its own: the opening statement carries it. */
class OpenedByItsFirstStatement extends Transaction {
	async begin(): Promise<void> {}
}

interface TransactionInternals {
	prepareEnvironment(useCls: boolean): Promise<void>;
	finished?: string;
}

/**
 * Runs `body` in a transaction that opens with `opening`; `body` learns whether that statement failed with
 * an expected error. With `compound` (MariaDB only: MySQL has no anonymous compound statements), START
 * TRANSACTION and the opening statement go to the server as one anonymous compound statement
 * (`BEGIN NOT ATOMIC START TRANSACTION; ...; END`): one round trip fewer, and each round trip costs the
 * writer a wake-up of the server's thread. START TRANSACTION comes first in the block, so an error of the
 * opening statement is raised inside the transaction, as it would be on its own. Otherwise: Sequelize's
 * transaction, then the statement.
 */
export async function transactionOpenedBy<T>(
	db: Sequelize,
	compound: boolean,
	opening: OpeningStatement,
	body: (transaction: Transaction, openingFailed: boolean) => Promise<T>,
): Promise<T> {
	const runOpening = async (sql: string, transaction: Transaction): Promise<boolean> => {
		try {
			await db.query(sql, { replacements: opening.replacements, transaction });
			return false;
		} catch (err) {
			if (opening.expected(err)) return true;
			throw err;
		}
	};
	if (!compound) return db.transaction(async (tx) => body(tx, await runOpening(opening.sql, tx)));

	const transaction = new OpenedByItsFirstStatement(db, {});
	const internals = transaction as unknown as TransactionInternals;
	await internals.prepareEnvironment(false);
	try {
		const openingFailed = await runOpening(`BEGIN NOT ATOMIC START TRANSACTION; ${opening.sql}; END`, transaction);
		const result = await body(transaction, openingFailed);
		await transaction.commit();
		return result;
	} catch (err) {
		// A ROLLBACK with no transaction open (the block failed before its START) is harmless.
		if (!internals.finished) await transaction.rollback().catch(() => undefined);
		throw err;
	}
}
