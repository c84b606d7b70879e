import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import { affectedRows, isUniqueViolation } from "../../lib/db/query-results";

export type NotificationStatus = "PENDING" | "SENT" | "FAILED" | "DEAD" | "SKIPPED";

export interface NotificationRecord {
	id: number;
	sourceEventId: string;
	sourceType: string;
	template: string;
	orderId: string | null;
	userId: string;
	channel: "email";
	recipient: string | null;
	subject: string;
	body: string;
	status: NotificationStatus;
	attempts: number;
	lastError: string | null;
	nextAttemptAt: number | null;
	correlationId: string | null;
	createdAt: number;
	updatedAt: number;
	sentAt: number | null;
}

export type NewNotification = Pick<
	NotificationRecord,
	| "sourceEventId"
	| "sourceType"
	| "template"
	| "orderId"
	| "userId"
	| "recipient"
	| "subject"
	| "body"
	| "status"
	| "lastError"
	| "correlationId"
>;

interface NotificationRow {
	id: number | string;
	source_event_id: string;
	source_type: string;
	template: string;
	order_id: string | null;
	user_id: string;
	channel: "email";
	recipient: string | null;
	subject: string;
	body: string;
	status: NotificationStatus;
	attempts: number | string;
	last_error: string | null;
	next_attempt_at: number | string | null;
	correlation_id: string | null;
	created_at: number | string;
	updated_at: number | string;
	sent_at: number | string | null;
}

const MAX_ERROR_LENGTH = 1000;
const orNull = (value: number | string | null) => (value === null ? null : Number(value));

function toRecord(row: NotificationRow): NotificationRecord {
	return {
		id: Number(row.id),
		sourceEventId: row.source_event_id,
		sourceType: row.source_type,
		template: row.template,
		orderId: row.order_id,
		userId: row.user_id,
		channel: row.channel,
		recipient: row.recipient,
		subject: row.subject,
		body: row.body,
		status: row.status,
		attempts: Number(row.attempts),
		lastError: row.last_error,
		nextAttemptAt: orNull(row.next_attempt_at),
		correlationId: row.correlation_id,
		createdAt: Number(row.created_at),
		updatedAt: Number(row.updated_at),
		sentAt: orNull(row.sent_at),
	};
}

/** The `notifications` table. Every status change is a conditional UPDATE, so two nodes never both win. */
export class NotificationsRepository {
	constructor(private readonly db: Sequelize) {}

	/**
	 * Records a message in the caller's transaction; `leaseUntil` is when another node may deliver it
	 * (this node delivers it right after the commit). Returns null when the event already made it.
	 */
	async insert(
		transaction: Transaction,
		message: NewNotification,
		leaseUntil: number,
		now: number,
	): Promise<NotificationRecord | null> {
		const nextAttemptAt = message.status === "PENDING" ? leaseUntil : null;
		try {
			// [insertId, affectedRows] on MariaDB/MySQL and SQLite alike.
			const [id] = await this.db.query(
				`INSERT INTO notifications (source_event_id, source_type, template, order_id, user_id, channel, recipient, subject, body,
				   status, attempts, last_error, next_attempt_at, correlation_id, created_at, updated_at, sent_at)
				 VALUES (?, ?, ?, ?, ?, 'email', ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, NULL)`,
				{
					replacements: [
						message.sourceEventId,
						message.sourceType,
						message.template,
						message.orderId,
						message.userId,
						message.recipient,
						message.subject,
						message.body,
						message.status,
						message.lastError,
						nextAttemptAt,
						message.correlationId,
						now,
						now,
					],
					type: QueryTypes.INSERT,
					transaction,
				},
			);
			return {
				...message,
				id: Number(id),
				channel: "email",
				attempts: 0,
				nextAttemptAt,
				createdAt: now,
				updatedAt: now,
				sentAt: null,
			};
		} catch (err) {
			if (isUniqueViolation(err)) return null;
			throw err;
		}
	}

	async find(id: number): Promise<NotificationRecord | null> {
		const rows = await this.db.query<NotificationRow>("SELECT * FROM notifications WHERE id = ?", {
			replacements: [id],
			type: QueryTypes.SELECT,
		});
		return rows[0] ? toRecord(rows[0]) : null;
	}

	/** Newest first. */
	async list(
		filter: { userId?: string; orderId?: string; status?: NotificationStatus },
		limit: number,
	): Promise<NotificationRecord[]> {
		const where: string[] = [];
		const replacements: unknown[] = [];
		if (filter.userId !== undefined) {
			where.push("user_id = ?");
			replacements.push(filter.userId);
		}
		if (filter.orderId !== undefined) {
			where.push("order_id = ?");
			replacements.push(filter.orderId);
		}
		if (filter.status !== undefined) {
			where.push("status = ?");
			replacements.push(filter.status);
		}
		const rows = await this.db.query<NotificationRow>(
			`SELECT * FROM notifications${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`,
			{ replacements: [...replacements, limit], type: QueryTypes.SELECT },
		);
		return rows.map(toRecord);
	}

	/** Ids of messages waiting for a delivery whose time (or whose deliverer's lease) has come, oldest first. */
	async due(now: number, limit: number): Promise<number[]> {
		const rows = await this.db.query<{ id: number | string }>(
			"SELECT id FROM notifications WHERE status IN ('PENDING', 'FAILED') AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
			{ replacements: [now, limit], type: QueryTypes.SELECT },
		);
		return rows.map((row) => Number(row.id));
	}

	/**
	 * Takes a due message for one delivery attempt until `leaseUntil`; false when another node took it
	 * first or it is no longer waiting.
	 */
	async claim(id: number, now: number, leaseUntil: number): Promise<boolean> {
		const result = await this.db.query(
			`UPDATE notifications SET next_attempt_at = ?, updated_at = ?
			 WHERE id = ? AND status IN ('PENDING', 'FAILED') AND next_attempt_at <= ?`,
			{ replacements: [leaseUntil, now, id, now], type: QueryTypes.UPDATE },
		);
		return affectedRows(result) === 1;
	}

	/** The attempt numbered `attempt` went through. False when the message was not the claimant's any more. */
	async markSent(id: number, attempt: number, now: number): Promise<boolean> {
		const result = await this.db.query(
			`UPDATE notifications SET status = 'SENT', attempts = ?, last_error = NULL, next_attempt_at = NULL, sent_at = ?, updated_at = ?
			 WHERE id = ? AND status IN ('PENDING', 'FAILED') AND attempts = ?`,
			{ replacements: [attempt, now, now, id, attempt - 1], type: QueryTypes.UPDATE },
		);
		return affectedRows(result) === 1;
	}

	/** The attempt failed: FAILED, tried again at `retryAt`; or DEAD (retryAt null), in the caller's transaction. */
	async markFailed(
		id: number,
		attempt: number,
		error: string,
		retryAt: number | null,
		now: number,
		transaction?: Transaction,
	): Promise<boolean> {
		const result = await this.db.query(
			`UPDATE notifications SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ?, updated_at = ?
			 WHERE id = ? AND status IN ('PENDING', 'FAILED') AND attempts = ?`,
			{
				replacements: [
					retryAt === null ? "DEAD" : "FAILED",
					attempt,
					error.slice(0, MAX_ERROR_LENGTH),
					retryAt,
					now,
					id,
					attempt - 1,
				],
				type: QueryTypes.UPDATE,
				transaction,
			},
		);
		return affectedRows(result) === 1;
	}

	/** Every FAILED message becomes due now; returns how many. */
	async makeFailedDue(now: number): Promise<number> {
		const result = await this.db.query(
			"UPDATE notifications SET next_attempt_at = ?, updated_at = ? WHERE status = 'FAILED' AND next_attempt_at > ?",
			{ replacements: [now, now, now], type: QueryTypes.UPDATE },
		);
		return affectedRows(result);
	}

	/**
	 * A dead letter gets a fresh set of attempts, held by the caller until `leaseUntil` (it makes the first
	 * one now; a sweep takes over if it dies). False when it is not DEAD (any more).
	 */
	async requeue(id: number, now: number, leaseUntil: number): Promise<boolean> {
		const result = await this.db.query(
			`UPDATE notifications SET status = 'FAILED', attempts = 0, next_attempt_at = ?, updated_at = ?
			 WHERE id = ? AND status = 'DEAD'`,
			{ replacements: [leaseUntil, now, id], type: QueryTypes.UPDATE },
		);
		return affectedRows(result) === 1;
	}

	/** The user the messages about an order went to (from its `order.created.v1` message), if any. */
	async userOfOrder(orderId: string): Promise<string | null> {
		const rows = await this.db.query<{ user_id: string }>(
			"SELECT user_id FROM notifications WHERE order_id = ? ORDER BY id LIMIT 1",
			{ replacements: [orderId], type: QueryTypes.SELECT },
		);
		return rows[0]?.user_id ?? null;
	}
}
