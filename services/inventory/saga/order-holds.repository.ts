import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import { affectedRows, isUniqueViolation } from "../../../lib/db/query-results";
import type { OrderLine } from "../../../lib/events/checkout-topics";

/**
 * What inventory decided for an order of the checkout saga.
 * - RESERVED: every line is held (`inventory.reserved.v1` sent).
 * - FAILED: nothing is held (`inventory.reservation.failed.v1` sent).
 * - CONFIRMED: paid, every line sold. RELEASED: timed out, cancelled or payment failed after RESERVED.
 * - CANCELLED: the order was called off before inventory saw it; a late `order.created.v1` holds nothing.
 */
export type HoldStatus = "RESERVED" | "FAILED" | "CONFIRMED" | "RELEASED" | "CANCELLED";

export interface OrderHold {
	orderId: string;
	status: HoldStatus;
	lines: OrderLine[];
	/** False while the lines' reservations may not match `status` yet. */
	settled: boolean;
	updatedAt: number;
}

interface HoldRow {
	order_id: string;
	status: HoldStatus;
	order_lines: string;
	settled: number | boolean;
	updated_at: number | string;
}

const HOLD_COLUMNS = "order_id, status, order_lines, settled, updated_at";

function toHold(row: HoldRow): OrderHold {
	return {
		orderId: row.order_id,
		status: row.status,
		lines: JSON.parse(row.order_lines) as OrderLine[],
		settled: Boolean(Number(row.settled)),
		updatedAt: Number(row.updated_at),
	};
}

/** The `order_holds` table. A status changes only by a conditional UPDATE, so one transition wins a race. */
export class OrderHoldsRepository {
	constructor(private readonly db: Sequelize) {}

	async find(orderId: string, transaction?: Transaction): Promise<OrderHold | null> {
		const rows = await this.db.query<HoldRow>(`SELECT ${HOLD_COLUMNS} FROM order_holds WHERE order_id = ?`, {
			replacements: [orderId],
			type: QueryTypes.SELECT,
			transaction,
		});
		return rows[0] ? toHold(rows[0]) : null;
	}

	/**
	 * Records the first decision for an order; false when the order already has one (nothing written).
	 * A duplicate key fails only its statement on MariaDB and SQLite: the transaction stays usable.
	 */
	async insert(transaction: Transaction, hold: Omit<OrderHold, "updatedAt">, now: number): Promise<boolean> {
		try {
			await this.db.query(
				"INSERT INTO order_holds (order_id, status, order_lines, settled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
				{
					replacements: [hold.orderId, hold.status, JSON.stringify(hold.lines), hold.settled, now, now],
					transaction,
				},
			);
			return true;
		} catch (err) {
			if (isUniqueViolation(err)) return false;
			throw err;
		}
	}

	/** Moves the hold from one of `from` to `to` (unsettled); false when it was in another status. */
	async transition(
		transaction: Transaction,
		orderId: string,
		from: readonly HoldStatus[],
		to: HoldStatus,
		now: number,
	): Promise<boolean> {
		const result = await this.db.query(
			`UPDATE order_holds SET status = ?, settled = ?, updated_at = ? WHERE order_id = ? AND status IN (${from.map(() => "?").join(", ")})`,
			{ replacements: [to, false, now, orderId, ...from], type: QueryTypes.UPDATE, transaction },
		);
		return affectedRows(result) === 1;
	}

	/** The lines now match `status` (unless the status moved on meanwhile). */
	async markSettled(orderId: string, status: HoldStatus): Promise<void> {
		await this.db.query("UPDATE order_holds SET settled = ? WHERE order_id = ? AND status = ?", {
			replacements: [true, orderId, status],
			type: QueryTypes.UPDATE,
		});
	}

	/** Holds whose lines were left behind their status for longer than `before` (a node died in between). */
	async unsettled(before: number, limit: number): Promise<OrderHold[]> {
		const rows = await this.db.query<HoldRow>(
			`SELECT ${HOLD_COLUMNS} FROM order_holds WHERE settled = ? AND updated_at < ? ORDER BY updated_at LIMIT ?`,
			{ replacements: [false, before, limit], type: QueryTypes.SELECT },
		);
		return rows.map(toHold);
	}
}
