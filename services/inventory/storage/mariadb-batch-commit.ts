import type { Sequelize } from "sequelize";
import type { BatchStatement, BatchStatements } from "./batch-statements";
import { DuplicateReservationError, FenceLostError } from "./commit-errors";

/** Raised inside MariaDB by a compound statement whose fence check failed. */
const FENCE_SIGNAL = "shop: version fence lost";

interface RawConnection {
	query(sql: string, values: unknown[], callback: (err: Error | null, result: unknown) => void): void;
}

interface ConnectionManager {
	getConnection(options: { type: "read" | "write" }): Promise<RawConnection>;
	releaseConnection(connection: RawConnection): void;
}

/** A statement of the compound block: it SIGNALs when its row count is not the expected one. */
function checked({ sql, expectedRows }: BatchStatement): string {
	if (expectedRows === undefined) return `${sql};`;
	return `${sql}; IF ROW_COUNT() <> ${expectedRows} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${FENCE_SIGNAL}'; END IF;`;
}

/**
 * A batch's transaction in two round trips on MariaDB instead of four: `START TRANSACTION` with the
 * reservation INSERT, then (once `afterPrevious` resolved: the pipelining contract is in
 * actor/sku-actor.ts, PIPELINE_DEPTH) the fenced statements and the COMMIT, as one anonymous compound
 * statement (`BEGIN NOT ATOMIC`) that SIGNALs when a row count is not what the decision expects, so a
 * lost fence never reaches the COMMIT. The connection comes from Sequelize's pool.
 */
export class MariaDbBatchCommit {
	constructor(private readonly db: Sequelize) {}

	/** Throws DuplicateReservationError or FenceLostError (see commit-errors.ts) with nothing written. */
	async commit(sku: string, { insert, fenced }: BatchStatements, afterPrevious: () => Promise<void>): Promise<void> {
		const manager = (this.db as unknown as { connectionManager: ConnectionManager }).connectionManager;
		const connection = await manager.getConnection({ type: "write" });
		const run = (sql: string, values: unknown[]) =>
			new Promise<unknown>((resolve, reject) =>
				connection.query(sql, values, (err, result) => (err ? reject(err) : resolve(result))),
			);
		try {
			await run(
				insert ? `BEGIN NOT ATOMIC START TRANSACTION; ${insert.sql}; END` : "START TRANSACTION",
				insert?.values ?? [],
			).catch((err: unknown) => {
				throw isDuplicateKey(err) ? new DuplicateReservationError(sku) : err;
			});
			await afterPrevious();
			await run(
				`BEGIN NOT ATOMIC ${fenced.map(checked).join(" ")} COMMIT; END`,
				fenced.flatMap((s) => s.values),
			).catch((err: unknown) => {
				// A duplicate here is the stock row's INSERT: another writer created the SKU first.
				throw isDuplicateKey(err) || isFenceSignal(err) ? new FenceLostError(sku) : err;
			});
		} catch (err) {
			await run("ROLLBACK", []).catch(() => undefined);
			throw err;
		} finally {
			manager.releaseConnection(connection);
		}
	}
}

function isDuplicateKey(err: unknown): boolean {
	return (err as { code?: string }).code === "ER_DUP_ENTRY";
}

function isFenceSignal(err: unknown): boolean {
	return ((err as { message?: string }).message ?? "").includes(FENCE_SIGNAL);
}
