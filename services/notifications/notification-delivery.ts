import type { Sequelize, Transaction } from "sequelize";
import { type EventEnvelope, newEvent } from "../../lib/events/event-envelope";
import {
	NOTIFICATION_TOPIC,
	type NotificationAlertPayload,
	type NotificationDeadLetteredPayload,
} from "../../lib/events/notification-topics";
import { backoffMs } from "../../lib/events/outbox-relay";
import { withTimeout } from "../../lib/with-timeout";
import type { MailProvider } from "./mail-provider";
import type { NotificationRecord, NotificationStatus, NotificationsRepository } from "./notifications.repository";

export interface DeliverySettings {
	maxAttempts: number;
	retryBackoffMs: number;
	sendTimeoutMs: number;
}

/** What an attempt's outcome is reported to (metrics, logs). */
export interface DeliveryHooks {
	sent(record: NotificationRecord): void;
	failed(record: NotificationRecord, error: string): void;
	deadLettered(record: NotificationRecord, error: string): void;
}

/** A retry waits at most this long, however many attempts came before. */
const MAX_BACKOFF_MS = 3_600_000;

/**
 * One delivery attempt at a time per message: the node that recorded a message (or claimed it when
 * due) sends it, then records the outcome under the attempt number it started from, so a second
 * node that took it over after a lost lease cannot record a second outcome. A send may thus, rarely,
 * reach the shopper twice (a node that died after the server accepted it); never zero times while
 * attempts are left. The last failed attempt dead-letters the message with `notification.dlq.v1` and
 * `notification.alert.v1`, in the same transaction.
 */
export class NotificationDelivery {
	constructor(
		private readonly db: Sequelize,
		private readonly repository: NotificationsRepository,
		private readonly provider: MailProvider,
		private readonly writeEvents: (tx: Transaction, events: readonly EventEnvelope[]) => Promise<void>,
		private readonly settings: DeliverySettings,
		private readonly hooks: DeliveryHooks,
	) {}

	/** How long a node owns a message it is sending: past it, another node may try. */
	get leaseMs(): number {
		return this.settings.sendTimeoutMs * 2;
	}

	/** One attempt for a message this node owns (just recorded, or claimed). Returns its status after it. */
	async attempt(record: NotificationRecord): Promise<NotificationStatus> {
		const attempt = record.attempts + 1;
		try {
			await withTimeout(
				this.provider.send({
					to: record.recipient as string,
					subject: record.subject,
					text: record.body,
					notificationId: record.id,
					messageKey: `${record.sourceEventId}.${record.template}`,
				}),
				this.settings.sendTimeoutMs,
				`the ${this.provider.name} provider`,
			);
		} catch (err) {
			return this.recordFailure(record, attempt, (err as Error).message || String(err));
		}
		if (await this.repository.markSent(record.id, attempt, Date.now())) this.hooks.sent(record);
		return "SENT";
	}

	/** Claims and attempts every due message (up to `limit`); returns how many ended in each status. */
	async runDue(limit: number): Promise<Partial<Record<NotificationStatus, number>>> {
		const counts: Partial<Record<NotificationStatus, number>> = {};
		for (const id of await this.repository.due(Date.now(), limit)) {
			const now = Date.now();
			if (!(await this.repository.claim(id, now, now + this.leaseMs))) continue;
			const record = await this.repository.find(id);
			if (!record || (record.status !== "PENDING" && record.status !== "FAILED")) continue;
			const status = await this.attempt(record);
			counts[status] = (counts[status] ?? 0) + 1;
		}
		return counts;
	}

	private async recordFailure(record: NotificationRecord, attempt: number, error: string): Promise<NotificationStatus> {
		const now = Date.now();
		if (attempt < this.settings.maxAttempts) {
			const retryAt = now + backoffMs(attempt, this.settings.retryBackoffMs, MAX_BACKOFF_MS);
			if (await this.repository.markFailed(record.id, attempt, error, retryAt, now)) this.hooks.failed(record, error);
			return "FAILED";
		}
		const dead = await this.db.transaction(async (tx) => {
			if (!(await this.repository.markFailed(record.id, attempt, error, null, now, tx))) return false;
			await this.writeEvents(tx, deadLetterEvents(record, attempt, error));
			return true;
		});
		if (dead) this.hooks.deadLettered(record, error);
		return "DEAD";
	}
}

function deadLetterEvents(record: NotificationRecord, attempts: number, lastError: string): EventEnvelope[] {
	const key = String(record.id);
	const correlationId = record.correlationId ?? `notification-${record.id}`;
	const letter: NotificationDeadLetteredPayload = {
		notificationId: record.id,
		sourceEventId: record.sourceEventId,
		sourceType: record.sourceType,
		template: record.template,
		userId: record.userId,
		attempts,
		lastError,
	};
	const alert: NotificationAlertPayload = {
		kind: "DEAD_LETTER",
		severity: "warning",
		summary: `Notification ${record.id} (${record.template}) failed ${attempts} attempt(s): ${lastError}`,
		notificationId: record.id,
	};
	return [
		newEvent(NOTIFICATION_TOPIC.deadLettered, key, letter, correlationId),
		newEvent(NOTIFICATION_TOPIC.alert, key, alert, correlationId),
	];
}
