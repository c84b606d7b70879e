import type { Transaction } from "sequelize";
import {
	type PaymentAuthorizedPayload,
	type PaymentFailedPayload,
	type PaymentRefundedPayload,
	TOPIC,
} from "../../lib/events/checkout-topics";
import { type EventEnvelope, newEvent } from "../../lib/events/event-envelope";
import type { PaymentProvider, ProviderOperation } from "./payment-provider";
import { decideWebhook, type PaymentStatus, type WebhookEventType } from "./payment-status";
import type { PaymentChanges, PaymentRecord, PaymentsRepository } from "./payments.repository";
import { type CallHooks, type CallResult, callOnce, callWithRetry, type RetrySettings } from "./provider-calls";
import type { ProviderDeadLettersRepository } from "./provider-dead-letters.repository";
import type { WebhookEventsRepository } from "./webhook-events.repository";

/** What the effects need from the service. */
export interface EffectsHost {
	writeEvents(transaction: Transaction, events: readonly EventEnvelope[]): Promise<void>;
	/** A payment reached a final status (counted once its transaction commits). */
	finalStatus(status: PaymentStatus): void;
	/** A provider call went to the dead letters (counted once its transaction commits). */
	deadLettered(operation: ProviderOperation, paymentId: string, error: Error): void;
}

export interface EffectsDeps {
	payments: PaymentsRepository;
	webhooks: WebhookEventsRepository;
	deadLetters: ProviderDeadLettersRepository;
	provider: PaymentProvider;
	retry: RetrySettings;
	hooks: CallHooks;
	host: EffectsHost;
}

/**
 * How a provider call is made: `retry` (the normal path: retried, then a dead letter is written in the
 * caller's transaction) or `once` (an operator's replay of a dead letter: one attempt, the replay
 * handles the dead letter).
 */
export type CallPolicy = "retry" | "once";

/** An effect's outcome: the payment as it is now, and whether the provider call it needed worked. */
export interface EffectResult {
	payment: PaymentRecord;
	providerFailed?: Error;
}

/** Events carry the order's correlation id when the payment knows it, else the cause's (a webhook request's). */
function correlationOf(payment: PaymentRecord, cause: string): string {
	return payment.correlationId ?? cause;
}

/** The reason a payment's `payment.failed.v1` gives for a decline. */
const DECLINED = "PAYMENT_DECLINED";

/**
 * The state changes of a payment, each made inside a transaction that holds the payment's row locked,
 * with the events it publishes written to the outbox in that same transaction. Provider calls made
 * here (capture, void) run inside that transaction too: if the node dies before it commits, the
 * event is delivered again and the (idempotent) call repeated, never lost.
 */
export class PaymentEffects {
	constructor(private readonly deps: EffectsDeps) {}

	/** A provider call by `policy`; with `retry`, a call that failed every attempt is dead-lettered in `transaction`. */
	async call<T>(
		transaction: Transaction,
		payment: PaymentRecord,
		operation: ProviderOperation,
		run: () => Promise<T>,
		policy: CallPolicy,
	): Promise<CallResult<T>> {
		if (policy === "once") return callOnce(operation, run);
		const result = await callWithRetry(operation, run, this.deps.retry, this.deps.hooks);
		if (!result.ok) await this.deadLetter(transaction, payment, operation, result.error, result.attempts);
		return result;
	}

	async deadLetter(
		transaction: Transaction,
		payment: PaymentRecord,
		operation: ProviderOperation,
		error: Error,
		attempts: number,
	): Promise<void> {
		await this.deps.deadLetters.insert(
			transaction,
			{ paymentId: payment.paymentId, operation, attempts, lastError: error.message },
			Date.now(),
		);
		transaction.afterCommit(() => this.deps.host.deadLettered(operation, payment.paymentId, error));
	}

	/** Stores the intent the provider made (`PENDING`), then applies the webhooks for it that came first. */
	async storeIntent(
		transaction: Transaction,
		payment: PaymentRecord,
		intentId: string,
		correlationId: string,
	): Promise<PaymentRecord> {
		let current = await this.deps.payments.update(
			transaction,
			payment,
			{ providerIntentId: intentId, status: "PENDING" },
			Date.now(),
		);
		for (const early of await this.deps.webhooks.unappliedFor(transaction, intentId)) {
			current = (await this.applyWebhook(transaction, current, early.type, correlationId)).payment;
			await this.deps.webhooks.markApplied(transaction, early.eventId, Date.now());
		}
		return current;
	}

	/** Applies a webhook's event to the payment it names (see decideWebhook); a stale one changes nothing. */
	async applyWebhook(
		transaction: Transaction,
		payment: PaymentRecord,
		event: WebhookEventType,
		correlationId: string,
	): Promise<EffectResult> {
		const decision = decideWebhook(payment, event);
		switch (decision.kind) {
			case "ignore":
				return { payment };
			case "authorize": {
				const authorized = await this.setStatus(transaction, payment, "AUTHORIZED", null);
				await this.deps.host.writeEvents(transaction, [
					newEvent<PaymentAuthorizedPayload>(
						TOPIC.paymentAuthorized,
						payment.orderId,
						{
							orderId: payment.orderId,
							paymentId: payment.paymentId,
							amountCents: payment.amountCents,
							currency: payment.currency,
						},
						correlationOf(payment, correlationId),
					),
				]);
				return decision.captureNow ? this.capture(transaction, authorized, "retry") : { payment: authorized };
			}
			case "void-late-authorization": {
				// Authorized at the provider, but the order already ended: the money must not stay held.
				const authorized = await this.setStatus(transaction, payment, "AUTHORIZED", payment.reason);
				return this.voidAuthorization(transaction, authorized, correlationId, "retry");
			}
			case "fail": {
				const failed = await this.setStatus(transaction, payment, "FAILED", DECLINED);
				if (decision.announce)
					await this.announceFailure(transaction, failed, "The payment was declined", correlationId);
				return { payment: failed };
			}
			case "captured":
				return { payment: await this.setStatus(transaction, payment, "CAPTURED", payment.reason) };
			case "voided": {
				const voided = await this.setStatus(transaction, payment, "VOIDED", payment.reason ?? "VOIDED_BY_PROVIDER");
				if (decision.wasAuthorized) await this.announceRefund(transaction, voided, correlationId);
				if (decision.announceFailure) {
					await this.announceFailure(transaction, voided, "The provider voided the payment", correlationId);
				}
				return { payment: voided };
			}
		}
	}

	/**
	 * Captures an AUTHORIZED payment: `CAPTURED`, or (the call failed) still AUTHORIZED with the failure.
	 * `alongside` (the order's confirmation) is written in the same UPDATE as the new status, or alone
	 * when the call failed: one write of the payment row instead of two.
	 */
	async capture(
		transaction: Transaction,
		payment: PaymentRecord,
		policy: CallPolicy,
		alongside: PaymentChanges = {},
	): Promise<EffectResult> {
		const intentId = payment.providerIntentId as string;
		const result = await this.call(transaction, payment, "capture", () => this.deps.provider.capture(intentId), policy);
		if (!result.ok) {
			const kept =
				Object.keys(alongside).length > 0
					? await this.deps.payments.update(transaction, payment, alongside, Date.now())
					: payment;
			return { payment: kept, providerFailed: result.error };
		}
		return { payment: await this.setStatus(transaction, payment, "CAPTURED", payment.reason, alongside) };
	}

	/** Voids an AUTHORIZED payment of an order that ended: `VOIDED` and `payment.refunded.v1`. */
	async voidAuthorization(
		transaction: Transaction,
		payment: PaymentRecord,
		correlationId: string,
		policy: CallPolicy,
	): Promise<EffectResult> {
		const intentId = payment.providerIntentId as string;
		const result = await this.call(transaction, payment, "void", () => this.deps.provider.void(intentId), policy);
		if (!result.ok) return { payment, providerFailed: result.error };
		const voided = await this.setStatus(transaction, payment, "VOIDED", payment.reason ?? "ORDER_CALLED_OFF");
		await this.announceRefund(transaction, voided, correlationId);
		return { payment: voided };
	}

	/** `FAILED` without asking the provider (a method it cannot take), announced to an open order. */
	async failWithoutProvider(
		transaction: Transaction,
		payment: PaymentRecord,
		message: string,
		correlationId: string,
	): Promise<PaymentRecord> {
		const failed = await this.setStatus(transaction, payment, "FAILED", DECLINED);
		if (payment.orderState === "OPEN") await this.announceFailure(transaction, failed, message, correlationId);
		return failed;
	}

	async setStatus(
		transaction: Transaction,
		payment: PaymentRecord,
		status: PaymentStatus,
		reason: string | null,
		alongside: PaymentChanges = {},
	): Promise<PaymentRecord> {
		const updated = await this.deps.payments.update(transaction, payment, { ...alongside, status, reason }, Date.now());
		if (status === "CAPTURED" || status === "FAILED" || status === "VOIDED") {
			transaction.afterCommit(() => this.deps.host.finalStatus(status));
		}
		return updated;
	}

	private async announceFailure(
		transaction: Transaction,
		payment: PaymentRecord,
		message: string,
		correlationId: string,
	): Promise<void> {
		await this.deps.host.writeEvents(transaction, [
			newEvent<PaymentFailedPayload>(
				TOPIC.paymentFailed,
				payment.orderId,
				{ orderId: payment.orderId, paymentId: payment.paymentId, reason: DECLINED, message },
				correlationOf(payment, correlationId),
			),
		]);
	}

	private async announceRefund(transaction: Transaction, payment: PaymentRecord, correlationId: string): Promise<void> {
		await this.deps.host.writeEvents(transaction, [
			newEvent<PaymentRefundedPayload>(
				TOPIC.paymentRefunded,
				payment.orderId,
				{
					orderId: payment.orderId,
					paymentId: payment.paymentId,
					amountCents: payment.amountCents,
					currency: payment.currency,
					reason: payment.reason ?? "ORDER_CALLED_OFF",
				},
				correlationOf(payment, correlationId),
			),
		]);
	}
}
