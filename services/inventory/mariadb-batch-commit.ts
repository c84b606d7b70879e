import type { Sequelize } from "sequelize";
import type { BatchDecision } from "./batch-decider";
import type { Reservation } from "./reservation";

/** Raised inside MariaDB by a compound statement whose fence check failed. */
const FENCE_SIGNAL = "shop: version fence lost";

interface RawConnection {
	query(sql: string, values: unknown[], callback: (err: Error | null, result: unknown) => void): void;
}

interface ConnectionManager {
	getConnection(options: { type: "read" | "write" }): Promise<RawConnection>;
	releaseConnection(connection: RawConnection): void;
}

/** Why a batch could not commit: another writer got there first, or anything else. */
export type CommitFailure = "fence" | "other";

/**
 * A batch's transaction in two round trips on MariaDB instead of four: `START TRANSACTION` with the
 * reservation INSERT, then (after the previous batch committed) the status updates, the fenced stock
 * write and the COMMIT, as one anonymous compound statement (`BEGIN NOT ATOMIC`) that SIGNALs when a
 * row count is not what the decision expects, so a lost fence never reaches the COMMIT.
 */
export class MariaDbBatchCommit {
	constructor(private readonly db: Sequelize) {}

	async commit(
		previousVersion: number,
		decision: BatchDecision,
		now: number,
		afterPrevious: () => Promise<void>,
	): Promise<void> {
		const manager = (this.db as unknown as { connectionManager: ConnectionManager }).connectionManager;
		const connection = await manager.getConnection({ type: "write" });
		const run = (sql: string, values: unknown[]) =>
			new Promise<unknown>((resolve, reject) =>
				connection.query(sql, values, (err, result) => (err ? reject(err) : resolve(result))),
			);
		try {
			const insert = insertStatement(decision.write.inserted, now);
			await run(
				insert ? `BEGIN NOT ATOMIC START TRANSACTION; ${insert.sql}; END` : "START TRANSACTION",
				insert?.values ?? [],
			);
			await afterPrevious();
			const finish = finishStatement(previousVersion, decision, now);
			await run(`BEGIN NOT ATOMIC ${finish.sql} COMMIT; END`, finish.values);
		} catch (err) {
			await run("ROLLBACK", []).catch(() => undefined);
			throw err;
		} finally {
			manager.releaseConnection(connection);
		}
	}
}

/** A lost fence: our SIGNAL, or a row someone else inserted first. */
export function isFenceFailure(err: unknown): boolean {
	const e = err as { code?: string; message?: string };
	return e.code === "ER_DUP_ENTRY" || (e.message ?? "").includes(FENCE_SIGNAL);
}

const CHECK = (expected: string) =>
	`IF ROW_COUNT() <> ${expected} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${FENCE_SIGNAL}'; END IF;`;

function insertStatement(rows: readonly Reservation[], now: number): { sql: string; values: unknown[] } | null {
	if (rows.length === 0) return null;
	return {
		sql: `INSERT INTO reservations (reservation_id, order_id, sku, quantity, status, expires_at, created_at, updated_at) VALUES ${rows.map(() => "(?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
		values: rows.flatMap((r) => [r.reservationId, r.orderId, r.sku, r.quantity, r.status, r.expiresAt, now, now]),
	};
}

function finishStatement(previousVersion: number, decision: BatchDecision, now: number) {
	const { write, stock } = decision;
	const parts: string[] = [];
	const values: unknown[] = [];
	if (write.updated.length > 0) {
		parts.push(
			`UPDATE reservations SET status = CASE reservation_id ${write.updated.map(() => "WHEN ? THEN ?").join(" ")} END, updated_at = ? WHERE reservation_id IN (${write.updated.map(() => "?").join(", ")});`,
			CHECK(String(write.updated.length)),
		);
		values.push(
			...write.updated.flatMap((r) => [r.reservationId, r.status]),
			now,
			...write.updated.map((r) => r.reservationId),
		);
	}
	if (stock && write.stock === "insert") {
		parts.push(
			"INSERT INTO stock (sku, available, reserved, confirmed, version, updated_at) VALUES (?, ?, ?, ?, ?, ?);",
		);
		values.push(stock.sku, stock.available, stock.reserved, stock.confirmed, stock.version, now);
	} else if (stock && write.stock === "update") {
		parts.push(
			"UPDATE stock SET available = ?, reserved = ?, confirmed = ?, version = ?, updated_at = ? WHERE sku = ? AND version = ?;",
			CHECK("1"),
		);
		values.push(stock.available, stock.reserved, stock.confirmed, stock.version, now, stock.sku, previousVersion);
	}
	return { sql: parts.join(" "), values };
}
