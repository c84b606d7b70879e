import type { BatchDecision } from "../actor/batch-decider";
import type { Reservation } from "../reservation";

/**
 * One statement of a batch's transaction. `expectedRows`: the rows it must change, else the state the
 * batch was decided on is not what is stored (a lost fence).
 */
export interface BatchStatement {
	sql: string;
	values: unknown[];
	expectedRows?: number;
}

/**
 * The statements of a batch's commit, split where it waits for the batch before it to commit (the
 * pipelining contract is in actor/sku-actor.ts, PIPELINE_DEPTH).
 */
export interface BatchStatements {
	/** The new reservation rows: written before that wait. */
	insert: BatchStatement | null;
	/** Status changes and the fenced stock write: after it. */
	fenced: BatchStatement[];
}

/** Reservations are keyed by `(sku, order_id)`; the id `orderId:sku` is derived from them. */
export const RESERVATION_COLUMNS = "order_id, sku, quantity, status, expires_at";

export function batchStatements(previousVersion: number, decision: BatchDecision, now: number): BatchStatements {
	const { write, stock } = decision;
	const fenced: BatchStatement[] = [];
	if (write.updated.length > 0) fenced.push(statusUpdate(write.updated, now));
	if (stock && write.stock === "insert") {
		fenced.push({
			sql: "INSERT INTO stock (sku, available, reserved, confirmed, version, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
			values: [stock.sku, stock.available, stock.reserved, stock.confirmed, stock.version, now],
		});
	} else if (stock && write.stock === "update") {
		fenced.push({
			sql: "UPDATE stock SET available = ?, reserved = ?, confirmed = ?, version = ?, updated_at = ? WHERE sku = ? AND version = ?",
			values: [stock.available, stock.reserved, stock.confirmed, stock.version, now, stock.sku, previousVersion],
			expectedRows: 1,
		});
	}
	return { insert: reservationInsert(write.inserted, now), fenced };
}

function reservationInsert(rows: readonly Reservation[], now: number): BatchStatement | null {
	if (rows.length === 0) return null;
	return {
		sql: `INSERT INTO reservations (${RESERVATION_COLUMNS}, created_at, updated_at) VALUES ${rows.map(() => "(?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
		values: rows.flatMap((r) => [r.orderId, r.sku, r.quantity, r.status, r.expiresAt, now, now]),
	};
}

/** One statement for the whole batch (all of one SKU: one actor's): `status = CASE order_id WHEN ... END`. */
function statusUpdate(rows: readonly Reservation[], now: number): BatchStatement {
	const sku = (rows[0] as Reservation).sku;
	if (rows.some((r) => r.sku !== sku)) throw new Error("a batch's status changes must all be of one SKU");
	return {
		sql: `UPDATE reservations SET status = CASE order_id ${rows.map(() => "WHEN ? THEN ?").join(" ")} END, updated_at = ? WHERE sku = ? AND order_id IN (?)`,
		values: [...rows.flatMap((r) => [r.orderId, r.status]), now, sku, rows.map((r) => r.orderId)],
		// Every row was read (or written by an earlier batch) before this one decided.
		expectedRows: rows.length,
	};
}
