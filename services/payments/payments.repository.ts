import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import { isUniqueViolation, rowLockClause } from "../../lib/db/query-results";
import type { OrderState, PaymentStatus } from "./payment-status";

export interface PaymentRecord {
	paymentId: string;
	orderId: string;
	/** Null only on the tombstone of an order called off before payments saw it. */
	userId: string | null;
	amountCents: number;
	currency: string;
	method: string;
	status: PaymentStatus;
	reason: string | null;
	providerIntentId: string | null;
	orderState: OrderState;
	/** The order's correlation id, carried by the events this payment causes (null on a tombstone). */
	correlationId: string | null;
	createdAt: number;
	updatedAt: number;
}

/** The fields a change may set; `updated_at` is set with every change. */
export type PaymentChanges = Partial<
	Pick<
		PaymentRecord,
		| "status"
		| "reason"
		| "providerIntentId"
		| "orderState"
		| "userId"
		| "amountCents"
		| "currency"
		| "method"
		| "correlationId"
	>
>;

interface PaymentRow {
	payment_id: string;
	order_id: string;
	user_id: string | null;
	amount_cents: number | string;
	currency: string;
	method: string;
	status: PaymentStatus;
	reason: string | null;
	provider_intent_id: string | null;
	order_state: OrderState;
	correlation_id: string | null;
	created_at: number | string;
	updated_at: number | string;
}

const COLUMNS =
	"payment_id, order_id, user_id, amount_cents, currency, method, status, reason, provider_intent_id, order_state, correlation_id, created_at, updated_at";

const COLUMN_OF: Record<keyof PaymentChanges, string> = {
	status: "status",
	reason: "reason",
	providerIntentId: "provider_intent_id",
	orderState: "order_state",
	userId: "user_id",
	amountCents: "amount_cents",
	currency: "currency",
	method: "method",
	correlationId: "correlation_id",
};

function toPayment(row: PaymentRow): PaymentRecord {
	return {
		paymentId: row.payment_id,
		orderId: row.order_id,
		userId: row.user_id,
		// BIGINT comes back as a string from MariaDB.
		amountCents: Number(row.amount_cents),
		currency: row.currency,
		method: row.method,
		status: row.status,
		reason: row.reason,
		providerIntentId: row.provider_intent_id,
		orderState: row.order_state,
		correlationId: row.correlation_id,
		createdAt: Number(row.created_at),
		updatedAt: Number(row.updated_at),
	};
}

/**
 * The `payments` table. Reads given a transaction lock the row until it ends (`FOR UPDATE` on MariaDB;
 * SQLite's writers already take turns), so a webhook and an order event racing for one payment are
 * applied one after the other, each seeing the other's result.
 */
export class PaymentsRepository {
	private readonly lockClause: string;

	constructor(private readonly db: Sequelize) {
		this.lockClause = rowLockClause(db);
	}

	/** Writes a new payment; false when the order already has one (nothing written, the transaction stays usable). */
	async insert(transaction: Transaction, payment: PaymentRecord): Promise<boolean> {
		try {
			await this.db.query(`INSERT INTO payments (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, {
				replacements: [
					payment.paymentId,
					payment.orderId,
					payment.userId,
					payment.amountCents,
					payment.currency,
					payment.method,
					payment.status,
					payment.reason,
					payment.providerIntentId,
					payment.orderState,
					payment.correlationId,
					payment.createdAt,
					payment.updatedAt,
				],
				transaction,
			});
			return true;
		} catch (err) {
			if (isUniqueViolation(err)) return false;
			throw err;
		}
	}

	findById(paymentId: string, transaction?: Transaction): Promise<PaymentRecord | null> {
		return this.findBy("payment_id", paymentId, transaction);
	}

	findByOrder(orderId: string, transaction?: Transaction): Promise<PaymentRecord | null> {
		return this.findBy("order_id", orderId, transaction);
	}

	findByIntent(intentId: string, transaction?: Transaction): Promise<PaymentRecord | null> {
		return this.findBy("provider_intent_id", intentId, transaction);
	}

	/** Applies `changes` to a payment whose row the caller holds locked; returns the payment as it is now. */
	async update(
		transaction: Transaction,
		payment: PaymentRecord,
		changes: PaymentChanges,
		now: number,
	): Promise<PaymentRecord> {
		const fields = Object.keys(changes) as Array<keyof PaymentChanges>;
		const assignments = fields.map((field) => `${COLUMN_OF[field]} = ?`);
		await this.db.query(`UPDATE payments SET ${[...assignments, "updated_at = ?"].join(", ")} WHERE payment_id = ?`, {
			replacements: [...fields.map((field) => changes[field] ?? null), now, payment.paymentId],
			type: QueryTypes.UPDATE,
			transaction,
		});
		return { ...payment, ...changes, updatedAt: now };
	}

	private async findBy(
		column: "payment_id" | "order_id" | "provider_intent_id",
		value: string,
		transaction?: Transaction,
	): Promise<PaymentRecord | null> {
		const rows = await this.db.query<PaymentRow>(
			`SELECT ${COLUMNS} FROM payments WHERE ${column} = ?${transaction ? this.lockClause : ""}`,
			{ replacements: [value], type: QueryTypes.SELECT, transaction },
		);
		return rows[0] ? toPayment(rows[0]) : null;
	}
}
