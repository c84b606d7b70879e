import type { Sequelize } from "sequelize";
import type { CallPolicy, PaymentEffects } from "./payment-effects";
import type { PaymentProvider } from "./payment-provider";
import type { PaymentStatus } from "./payment-status";
import type { PaymentRecord, PaymentsRepository } from "./payments.repository";
import { type CallHooks, type CallResult, callOnce, callWithRetry, type RetrySettings } from "./provider-calls";

export interface IntentRequestsDeps {
	db: Sequelize;
	payments: PaymentsRepository;
	effects: PaymentEffects;
	provider: PaymentProvider;
	retry: RetrySettings;
	hooks: CallHooks;
	/** Whether the provider takes this payment method at all. */
	supportsMethod(method: string): boolean;
}

/** How a request for an intent ended. */
export interface IntentOutcome {
	/** The payment as it is now (null if it does not exist). */
	payment: PaymentRecord | null;
	/** Set when the provider call failed (with policy `once` nothing else is recorded). */
	providerFailed?: Error;
}

/** The reason of a payment whose intent could not be created. */
export const PROVIDER_ERROR_REASON = "PAYMENT_PROVIDER_ERROR";

/**
 * Asks the provider for a payment's intent. The call is made with no transaction open (it may take
 * several retries), between two short ones: the payment row is written (`CREATED`) and committed
 * first, so a payment exists whatever the provider does; the answer is stored under the row's lock
 * only if the payment is still where it was (`from`), so two requests for one payment (a redelivery, a
 * replay) store one intent. The provider returns the same intent for the same reference, so a
 * repeated call is harmless.
 */
export class IntentRequests {
	constructor(private readonly deps: IntentRequestsDeps) {}

	/**
	 * `payment` is the payment as its caller last read or wrote it (committed), or its id to read it; either
	 * way the answer is stored only if the locked row is still `from`.
	 */
	async request(
		payment: PaymentRecord | string,
		correlationId: string,
		policy: CallPolicy,
		from: PaymentStatus = "CREATED",
	): Promise<IntentOutcome> {
		const { db, payments, effects } = this.deps;
		const before = typeof payment === "string" ? await payments.findById(payment) : payment;
		if (!before || before.status !== from) return { payment: before };
		const { paymentId } = before;

		if (before.orderState === "CALLED_OFF") {
			// The order ended before its payment got an intent: nothing chargeable is made.
			return {
				payment: await db.transaction(async (tx) => {
					const locked = await payments.findById(paymentId, tx);
					if (!locked || locked.status !== from) return locked;
					return effects.setStatus(tx, locked, "VOIDED", locked.reason ?? "ORDER_CALLED_OFF");
				}),
			};
		}
		if (!this.deps.supportsMethod(before.method)) {
			return {
				payment: await db.transaction(async (tx) => {
					const locked = await payments.findById(paymentId, tx);
					if (!locked || locked.status !== from) return locked;
					return effects.failWithoutProvider(
						tx,
						locked,
						`Payment method ${locked.method} is not supported`,
						correlationId,
					);
				}),
			};
		}

		const result = await this.callProvider(before, policy);
		let providerFailed: Error | undefined;
		const after = await db.transaction(async (tx) => {
			const locked = await payments.findById(paymentId, tx);
			if (!locked || locked.status !== from) return locked;
			if (result.ok) return effects.storeIntent(tx, locked, result.value.intentId, correlationId);
			providerFailed = result.error;
			if (policy === "once") return locked;
			await effects.deadLetter(tx, locked, "createIntent", result.error, result.attempts);
			return effects.setStatus(tx, locked, "PROVIDER_ERROR", PROVIDER_ERROR_REASON);
		});
		return { payment: after, providerFailed };
	}

	private callProvider(payment: PaymentRecord, policy: CallPolicy): Promise<CallResult<{ intentId: string }>> {
		const run = () =>
			this.deps.provider.createIntent({
				reference: payment.paymentId,
				amountCents: payment.amountCents,
				currency: payment.currency,
				method: payment.method,
			});
		return policy === "once"
			? callOnce("createIntent", run)
			: callWithRetry("createIntent", run, this.deps.retry, this.deps.hooks);
	}
}
