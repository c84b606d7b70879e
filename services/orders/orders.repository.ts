import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import { affectedRows, isUniqueViolation, rowLockClause } from "../../lib/db/query-results";
import { type PricedOrderLine, RESERVATION_FAILURE_REASONS } from "../../lib/events/checkout-topics";
import type { Decision, OrderStatus } from "./order-status";

export interface HistoryEntry {
	status: OrderStatus;
	reason: string | null;
	at: number;
}

export interface OrderRecord {
	orderId: string;
	userId: string;
	status: OrderStatus;
	reason: string | null;
	items: PricedOrderLine[];
	totals: Record<string, number>;
	paymentMethod: string;
	paymentId: string | null;
	shippingAddressId: string | null;
	fromCart: boolean;
	stockReserved: boolean;
	paymentAuthorized: boolean;
	idempotencyKey: string | null;
	requestHash: string | null;
	version: number;
	createdAt: number;
	updatedAt: number;
}

export type NewOrder = Omit<
	OrderRecord,
	"status" | "reason" | "paymentId" | "stockReserved" | "paymentAuthorized" | "version" | "updatedAt"
>;

interface OrderRow {
	order_id: string;
	user_id: string;
	status: OrderStatus;
	reason: string | null;
	items: string;
	totals: string;
	payment_method: string;
	payment_id: string | null;
	shipping_address_id: string | null;
	from_cart: number | boolean;
	stock_reserved: number | boolean;
	payment_authorized: number | boolean;
	idempotency_key: string | null;
	request_hash: string | null;
	version: number;
	created_at: number | string;
	updated_at: number | string;
}

const COLUMNS =
	"order_id, user_id, status, reason, items, totals, payment_method, payment_id, shipping_address_id, from_cart, stock_reserved, payment_authorized, idempotency_key, request_hash, version, created_at, updated_at";

function toOrder(row: OrderRow): OrderRecord {
	return {
		orderId: row.order_id,
		userId: row.user_id,
		status: row.status,
		reason: row.reason,
		items: JSON.parse(row.items) as PricedOrderLine[],
		totals: JSON.parse(row.totals) as Record<string, number>,
		paymentMethod: row.payment_method,
		paymentId: row.payment_id,
		shippingAddressId: row.shipping_address_id,
		fromCart: Boolean(Number(row.from_cart)),
		stockReserved: Boolean(Number(row.stock_reserved)),
		paymentAuthorized: Boolean(Number(row.payment_authorized)),
		idempotencyKey: row.idempotency_key,
		requestHash: row.request_hash,
		version: Number(row.version),
		createdAt: Number(row.created_at),
		updatedAt: Number(row.updated_at),
	};
}

/** The `orders` and `order_history` tables. A status changes only under the order's version fence. */
export class OrdersRepository {
	/** MariaDB locks the order's row for the transaction; SQLite's writers already take turns. */
	private readonly lockClause: string;

	constructor(private readonly db: Sequelize) {
		this.lockClause = rowLockClause(db);
	}

	/**
	 * Writes a new PENDING order and its first history row. False when the user already used the
	 * idempotency key (nothing written: the statement alone fails, the transaction stays usable).
	 */
	async insert(transaction: Transaction, order: NewOrder): Promise<boolean> {
		try {
			await this.db.query(
				`INSERT INTO orders (${COLUMNS}) VALUES (?, ?, 'PENDING', NULL, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
				{
					replacements: [
						order.orderId,
						order.userId,
						JSON.stringify(order.items),
						JSON.stringify(order.totals),
						order.paymentMethod,
						order.shippingAddressId,
						order.fromCart,
						false,
						false,
						order.idempotencyKey,
						order.requestHash,
						order.createdAt,
						order.createdAt,
					],
					transaction,
				},
			);
		} catch (err) {
			if (isUniqueViolation(err)) return false;
			throw err;
		}
		await this.addHistory(transaction, order.orderId, [{ status: "PENDING", reason: null }], order.createdAt);
		return true;
	}

	/** The order; with a transaction, its row stays locked until that transaction ends. */
	async find(orderId: string, transaction?: Transaction): Promise<OrderRecord | null> {
		const rows = await this.db.query<OrderRow>(
			`SELECT ${COLUMNS} FROM orders WHERE order_id = ?${transaction ? this.lockClause : ""}`,
			{ replacements: [orderId], type: QueryTypes.SELECT, transaction },
		);
		return rows[0] ? toOrder(rows[0]) : null;
	}

	async findByIdempotencyKey(userId: string, key: string): Promise<OrderRecord | null> {
		const rows = await this.db.query<OrderRow>(
			`SELECT ${COLUMNS} FROM orders WHERE user_id = ? AND idempotency_key = ?`,
			{ replacements: [userId, key], type: QueryTypes.SELECT },
		);
		return rows[0] ? toOrder(rows[0]) : null;
	}

	/** Applies a decision to the order as read at `version`; false when the order changed since. */
	async apply(transaction: Transaction, order: OrderRecord, decision: Decision, now: number): Promise<boolean> {
		const last = decision.steps[decision.steps.length - 1] as Decision["steps"][number];
		const result = await this.db.query(
			`UPDATE orders SET status = ?, reason = ?, stock_reserved = ?, payment_authorized = ?, payment_id = ?,
			 version = version + 1, updated_at = ? WHERE order_id = ? AND version = ?`,
			{
				replacements: [
					last.status,
					last.reason,
					decision.stockReserved,
					decision.paymentAuthorized,
					decision.paymentId ?? order.paymentId,
					now,
					order.orderId,
					order.version,
				],
				type: QueryTypes.UPDATE,
				transaction,
			},
		);
		if (affectedRows(result) !== 1) return false;
		await this.addHistory(transaction, order.orderId, decision.steps, now);
		return true;
	}

	/** The history of each of these orders, oldest entry first (one query for a whole page). */
	async histories(orderIds: readonly string[]): Promise<Map<string, HistoryEntry[]>> {
		const byOrder = new Map<string, HistoryEntry[]>(orderIds.map((id) => [id, []]));
		if (orderIds.length === 0) return byOrder;
		const rows = await this.db.query<{
			order_id: string;
			status: OrderStatus;
			reason: string | null;
			at: number | string;
		}>(
			`SELECT order_id, status, reason, at FROM order_history WHERE order_id IN (${orderIds.map(() => "?").join(", ")}) ORDER BY id`,
			{ replacements: [...orderIds], type: QueryTypes.SELECT },
		);
		for (const r of rows) byOrder.get(r.order_id)?.push({ status: r.status, reason: r.reason, at: Number(r.at) });
		return byOrder;
	}

	/** One page of a user's orders, newest first, and how many they have. */
	async listByUser(userId: string, page: number, size: number): Promise<{ items: OrderRecord[]; total: number }> {
		const rows = await this.db.query<OrderRow>(
			`SELECT ${COLUMNS} FROM orders WHERE user_id = ? ORDER BY created_at DESC, order_id LIMIT ? OFFSET ?`,
			{ replacements: [userId, size, (page - 1) * size], type: QueryTypes.SELECT },
		);
		const [count] = await this.db.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM orders WHERE user_id = ?", {
			replacements: [userId],
			type: QueryTypes.SELECT,
		});
		return { items: rows.map(toOrder), total: Number(count?.n ?? 0) };
	}

	/** Whether one of the user's latest `scan` CONFIRMED orders has a line of the product. */
	async hasConfirmedLineOf(userId: string, productId: string, scan: number): Promise<boolean> {
		const rows = await this.db.query<{ items: string }>(
			"SELECT items FROM orders WHERE user_id = ? AND status = 'CONFIRMED' ORDER BY created_at DESC LIMIT ?",
			{ replacements: [userId, scan], type: QueryTypes.SELECT },
		);
		return rows.some((row) =>
			(JSON.parse(row.items) as PricedOrderLine[]).some((line) => line.productId === productId),
		);
	}

	/** Orders still open that were made before `createdBefore`: the timeout sweep's work. */
	/**
	 * How many orders still wait for their stock decision (PENDING, or PAID before the stock) and were
	 * created before `createdBefore`, counting no further than `limit` (the index on status and
	 * created_at bounds the read).
	 */
	async countWaitingForStock(createdBefore: number, limit: number): Promise<number> {
		const [row] = await this.db.query<{ n: number | string }>(
			"SELECT COUNT(*) AS n FROM (SELECT 1 FROM orders WHERE status IN ('PENDING', 'PAID') AND created_at < ? LIMIT ?) AS lagging",
			{ replacements: [createdBefore, limit], type: QueryTypes.SELECT },
		);
		return Number(row?.n ?? 0);
	}

	/**
	 * When the latest stock decision was recorded (epoch ms; 0 if none): a history row RESERVED, CONFIRMED
	 * (without an operator's reason), or CANCELLED for one of inventory's reasons. One statement; each kind
	 * is one step down the `(status, reason, at)` index.
	 */
	async lastStockDecisionAt(): Promise<number> {
		const latestOf = (reason: string) =>
			`SELECT MAX(at) AS at FROM order_history WHERE status = ? AND reason ${reason === "" ? "IS NULL" : "= ?"}`;
		const kinds: Array<[string, string]> = [
			["RESERVED", ""],
			["CONFIRMED", ""],
			...RESERVATION_FAILURE_REASONS.map((reason): [string, string] => ["CANCELLED", reason]),
		];
		const rows = await this.db.query<{ at: number | string | null }>(
			kinds.map(([, reason]) => latestOf(reason)).join(" UNION ALL "),
			{
				replacements: kinds.flatMap(([status, reason]) => (reason ? [status, reason] : [status])),
				type: QueryTypes.SELECT,
			},
		);
		return Math.max(0, ...rows.map((row) => Number(row.at ?? 0)));
	}

	async openCreatedBefore(createdBefore: number, limit: number): Promise<string[]> {
		const rows = await this.db.query<{ order_id: string }>(
			"SELECT order_id FROM orders WHERE status IN ('PENDING', 'RESERVED', 'PAID') AND created_at < ? ORDER BY created_at LIMIT ?",
			{ replacements: [createdBefore, limit], type: QueryTypes.SELECT },
		);
		return rows.map((r) => r.order_id);
	}

	private async addHistory(
		transaction: Transaction,
		orderId: string,
		steps: ReadonlyArray<{ status: OrderStatus; reason: string | null }>,
		at: number,
	): Promise<void> {
		// One statement for all steps (a payment that confirms at once writes PAID and CONFIRMED).
		await this.db.query(
			`INSERT INTO order_history (order_id, status, reason, at) VALUES ${steps.map(() => "(?, ?, ?, ?)").join(", ")}`,
			{ replacements: steps.flatMap((step) => [orderId, step.status, step.reason, at]), transaction },
		);
	}
}
