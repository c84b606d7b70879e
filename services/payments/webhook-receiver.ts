import type { Sequelize } from "sequelize";
import type { PaymentEffects } from "./payment-effects";
import { FINAL_STATUSES, type WebhookEventType } from "./payment-status";
import { InvalidSignatureError } from "./payments.errors";
import type { PaymentsRepository } from "./payments.repository";
import type { StoredWebhookEvent, WebhookEventsRepository } from "./webhook-events.repository";
import { parseWebhookBody, type WebhookBody } from "./webhook-payload";
import { verifyWebhookSignature } from "./webhook-signature";

export interface WebhookReceiverDeps {
	db: Sequelize;
	secret: string;
	payments: PaymentsRepository;
	webhooks: WebhookEventsRepository;
	effects: PaymentEffects;
	logger: { warn(message: string): void };
}

export interface WebhookReceipt {
	received: true;
	/** The provider sent this event before: nothing was done again. */
	duplicate?: true;
	/** False while the intent it names is unknown (kept, applied when the intent is stored). */
	applied: boolean;
}

/**
 * Events that usually report a capture or a void this service asked for and has already stored (a final
 * status): checked for that first, so most of them are stored without a transaction.
 */
const REPORTS_OUR_OWN_CALL: readonly WebhookEventType[] = ["payment.captured", "payment.voided"];

/**
 * The provider's webhooks: verified (signature over the exact bytes), parsed, stored under the
 * provider's event id and, when the intent is known, applied in the same transaction, with the
 * payment's row locked. A failure before the commit answers 5xx and the provider sends it again.
 */
export class WebhookReceiver {
	constructor(private readonly deps: WebhookReceiverDeps) {}

	async receive(rawBody: string, signature: unknown, correlationId: string): Promise<WebhookReceipt> {
		if (!verifyWebhookSignature(this.deps.secret, rawBody, signature)) throw new InvalidSignatureError();
		const body = parseWebhookBody(rawBody);
		const { db, payments, webhooks, effects } = this.deps;
		if (REPORTS_OUR_OWN_CALL.includes(body.event)) {
			const recorded = await this.recordIfFinal(body, rawBody);
			if (recorded) return recorded;
		}
		return db.transaction(async (tx): Promise<WebhookReceipt> => {
			const now = Date.now();
			// The payment's row first, then the event's: the same order as storing an intent takes them in
			// (payment, then the intent's early events), so the two never wait for each other in a cycle.
			const payment = await payments.findByIntent(body.intentId, tx);
			// Applied below, in this transaction: a failure rolls the insert back with it.
			const first = await webhooks.insert(tx, storedEvent(body, rawBody, now, payment ? now : null));
			if (!first) return DUPLICATE;
			if (!payment) return { received: true, applied: false };
			if (payment.paymentId !== body.reference) {
				this.deps.logger.warn(
					`Webhook ${body.id} names intent ${body.intentId} of payment ${payment.paymentId} but reference ${body.reference}`,
				);
			}
			await effects.applyWebhook(tx, payment, body.event, correlationId);
			return { received: true, applied: true };
		});
	}

	/**
	 * A webhook for a payment whose status is final changes nothing (decideWebhook ignores every event
	 * then), and a final status never changes: no transaction or row lock is needed to know that, so the
	 * webhook is only stored, as applied. Undefined when the payment is not final (or not known yet).
	 */
	private async recordIfFinal(body: WebhookBody, rawBody: string): Promise<WebhookReceipt | undefined> {
		const payment = await this.deps.payments.findByIntent(body.intentId);
		if (!payment || !FINAL_STATUSES.includes(payment.status)) return undefined;
		const now = Date.now();
		const first = await this.deps.webhooks.insert(undefined, storedEvent(body, rawBody, now, now));
		return first ? { received: true, applied: true } : DUPLICATE;
	}
}

/** The provider sent this event before: nothing was done again. */
const DUPLICATE: WebhookReceipt = Object.freeze({ received: true, duplicate: true, applied: false });

function storedEvent(body: WebhookBody, rawBody: string, now: number, appliedAt: number | null): StoredWebhookEvent {
	return { eventId: body.id, intentId: body.intentId, type: body.event, payload: rawBody, receivedAt: now, appliedAt };
}
