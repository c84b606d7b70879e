import type { Sequelize } from "sequelize";
import type { PaymentEffects } from "./payment-effects";
import { InvalidSignatureError } from "./payments.errors";
import type { PaymentsRepository } from "./payments.repository";
import type { WebhookEventsRepository } from "./webhook-events.repository";
import { parseWebhookBody } from "./webhook-payload";
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
		return db.transaction(async (tx): Promise<WebhookReceipt> => {
			const now = Date.now();
			// The payment's row first, then the event's: the same order as storing an intent takes them in
			// (payment, then the intent's early events), so the two never wait for each other in a cycle.
			const payment = await payments.findByIntent(body.intentId, tx);
			const first = await webhooks.insert(tx, {
				eventId: body.id,
				intentId: body.intentId,
				type: body.event,
				payload: rawBody,
				receivedAt: now,
				// Applied below, in this transaction: a failure rolls the insert back with it.
				appliedAt: payment ? now : null,
			});
			if (!first) return { received: true, duplicate: true, applied: false };
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
}
