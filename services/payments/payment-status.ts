/**
 * A payment's statuses and the pure decisions that move it. Everything that changes a payment (an
 * order event, a webhook, an operator's requeue) asks here first, with the payment's row locked, so
 * nothing is applied twice and nothing moves backwards.
 */

/**
 * `CREATED`: the row is written, the provider has not answered yet. `PENDING`: the intent exists at the
 * provider, waiting for its webhook. `PROVIDER_ERROR`: the intent could not be created (dead-lettered).
 * `CAPTURED`, `FAILED` and `VOIDED` are final.
 */
export type PaymentStatus = "CREATED" | "PENDING" | "AUTHORIZED" | "CAPTURED" | "FAILED" | "VOIDED" | "PROVIDER_ERROR";

/** What payments knows of the order's end: `CONFIRMED` (capture) or `CALLED_OFF` (cancelled or timed out: void). */
export type OrderState = "OPEN" | "CONFIRMED" | "CALLED_OFF";

/** The webhook events a provider sends. */
export const WEBHOOK_EVENT_TYPES = [
	"payment.authorized",
	"payment.failed",
	"payment.voided",
	"payment.captured",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const FINAL_STATUSES: readonly PaymentStatus[] = ["CAPTURED", "FAILED", "VOIDED"];

/** Statuses in which the provider may still authorize or decline: the intent waits for its outcome. */
const AWAITING_OUTCOME: readonly PaymentStatus[] = ["CREATED", "PENDING"];

/** What a webhook does to a payment. */
export type WebhookDecision =
	/** Recorded, not applied: the payment is already past what the event says. */
	| { kind: "ignore" }
	/** `AUTHORIZED` and `payment.authorized.v1`; captured at once when the order is already confirmed. */
	| { kind: "authorize"; captureNow: boolean }
	/** The order ended before the authorization came: void it at the provider, `VOIDED`, `payment.refunded.v1`. */
	| { kind: "void-late-authorization" }
	/** `FAILED`; `payment.failed.v1` when the order still waits for it. */
	| { kind: "fail"; announce: boolean }
	/** The provider captured (our capture call's answer was lost): `CAPTURED`. */
	| { kind: "captured" }
	/** The provider voided: `VOIDED`; `payment.refunded.v1` when it had been authorized, else `payment.failed.v1` for an open order. */
	| { kind: "voided"; wasAuthorized: boolean; announceFailure: boolean };

export interface PaymentState {
	status: PaymentStatus;
	orderState: OrderState;
}

/** Decides what the provider's `event` does to a payment in `state`. */
export function decideWebhook(state: PaymentState, event: WebhookEventType): WebhookDecision {
	const awaiting = AWAITING_OUTCOME.includes(state.status);
	switch (event) {
		case "payment.authorized":
			if (!awaiting) return { kind: "ignore" };
			if (state.orderState === "CALLED_OFF") return { kind: "void-late-authorization" };
			return { kind: "authorize", captureNow: state.orderState === "CONFIRMED" };
		case "payment.failed":
			if (!awaiting) return { kind: "ignore" };
			return { kind: "fail", announce: state.orderState === "OPEN" };
		case "payment.captured":
			return state.status === "AUTHORIZED" ? { kind: "captured" } : { kind: "ignore" };
		case "payment.voided":
			if (state.status === "AUTHORIZED") return { kind: "voided", wasAuthorized: true, announceFailure: false };
			if (awaiting) return { kind: "voided", wasAuthorized: false, announceFailure: state.orderState === "OPEN" };
			return { kind: "ignore" };
	}
}

/** What the end of the order does to its payment. */
export type CallOffDecision =
	/** Already called off: a redelivery or the second end event. */
	| { kind: "none" }
	/** Authorized: void it at the provider now. */
	| { kind: "void" }
	/** Only marked: a later authorization is voided when it comes (or no intent will ever be made). */
	| { kind: "mark" };

export function decideCallOff(state: PaymentState): CallOffDecision {
	if (state.orderState === "CALLED_OFF") return { kind: "none" };
	return state.status === "AUTHORIZED" ? { kind: "void" } : { kind: "mark" };
}
