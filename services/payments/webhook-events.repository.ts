import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import { isUniqueViolation, rowLockClause } from "../../lib/db/query-results";
import type { WebhookEventType } from "./payment-status";

export interface StoredWebhookEvent {
	eventId: string;
	intentId: string;
	type: WebhookEventType;
	payload: string;
	receivedAt: number;
	appliedAt: number | null;
}

interface WebhookEventRow {
	event_id: string;
	intent_id: string;
	type: WebhookEventType;
	payload: string;
	received_at: number | string;
	applied_at: number | string | null;
}

function toEvent(row: WebhookEventRow): StoredWebhookEvent {
	return {
		eventId: row.event_id,
		intentId: row.intent_id,
		type: row.type,
		payload: row.payload,
		receivedAt: Number(row.received_at),
		appliedAt: row.applied_at === null ? null : Number(row.applied_at),
	};
}

/** The `payment_webhook_events` table: the provider's event id is the key, so a redelivery is found by its insert. */
export class WebhookEventsRepository {
	private readonly lockClause: string;

	constructor(private readonly db: Sequelize) {
		this.lockClause = rowLockClause(db);
	}

	/**
	 * Records a webhook, as applied already when the caller applies it in this transaction (`appliedAt`);
	 * false when its event id was recorded before (a redelivery: nothing written).
	 */
	async insert(transaction: Transaction | undefined, event: StoredWebhookEvent): Promise<boolean> {
		try {
			await this.db.query(
				"INSERT INTO payment_webhook_events (event_id, intent_id, type, payload, received_at, applied_at) VALUES (?, ?, ?, ?, ?, ?)",
				{
					replacements: [event.eventId, event.intentId, event.type, event.payload, event.receivedAt, event.appliedAt],
					transaction,
				},
			);
			return true;
		} catch (err) {
			if (isUniqueViolation(err)) return false;
			throw err;
		}
	}

	/**
	 * The intent's webhooks not applied yet, in the order they came. A locking read on MariaDB: it sees
	 * the latest committed rows (not the transaction's snapshot), so a webhook stored while the intent id
	 * was being written is not missed.
	 */
	async unappliedFor(transaction: Transaction, intentId: string): Promise<StoredWebhookEvent[]> {
		const rows = await this.db.query<WebhookEventRow>(
			`SELECT event_id, intent_id, type, payload, received_at, applied_at FROM payment_webhook_events
			 WHERE intent_id = ? AND applied_at IS NULL ORDER BY received_at, event_id${this.lockClause}`,
			{ replacements: [intentId], type: QueryTypes.SELECT, transaction },
		);
		return rows.map(toEvent);
	}

	async markApplied(transaction: Transaction, eventId: string, now: number): Promise<void> {
		await this.db.query("UPDATE payment_webhook_events SET applied_at = ? WHERE event_id = ?", {
			replacements: [now, eventId],
			type: QueryTypes.UPDATE,
			transaction,
		});
	}

	/** For tests and operators: one stored event, or null. */
	async find(eventId: string): Promise<StoredWebhookEvent | null> {
		const rows = await this.db.query<WebhookEventRow>(
			"SELECT event_id, intent_id, type, payload, received_at, applied_at FROM payment_webhook_events WHERE event_id = ?",
			{ replacements: [eventId], type: QueryTypes.SELECT },
		);
		return rows[0] ? toEvent(rows[0]) : null;
	}
}
