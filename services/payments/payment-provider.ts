import { Errors } from "moleculer";

/** The three calls we make to a payment provider; each is retried, then dead-lettered (provider-calls.ts). */
export type ProviderOperation = "createIntent" | "capture" | "void";

export const PROVIDER_OPERATIONS: readonly ProviderOperation[] = ["createIntent", "capture", "void"];

export interface CreateIntentRequest {
	/** Our payment id: the provider returns the same intent for the same reference (idempotent). */
	reference: string;
	amountCents: number;
	currency: string;
	method: string;
}

/**
 * A payment provider as payments uses it. Outcomes (authorized, declined, captured, voided) come later
 * as signed webhooks; these calls only say that the provider took the request. Any call may throw: a
 * `retryable` error is tried again, any other goes to the dead letters at once.
 */
export interface PaymentProvider {
	createIntent(request: CreateIntentRequest): Promise<{ intentId: string }>;
	capture(intentId: string): Promise<void>;
	void(intentId: string): Promise<void>;
}

/** The provider did not answer or answered 5xx (the sandbox's outage mode throws this): try again later. */
export class ProviderUnavailableError extends Errors.MoleculerRetryableError {
	constructor(operation: ProviderOperation, detail: string) {
		super(`Payment provider unavailable for ${operation}: ${detail}`, 503, "PROVIDER_UNAVAILABLE", { operation });
	}
}

/** The provider refused the request itself: trying again would get the same answer. */
export class ProviderRejectedError extends Errors.MoleculerError {
	constructor(operation: ProviderOperation, detail: string) {
		super(`Payment provider rejected ${operation}: ${detail}`, 422, "PROVIDER_REJECTED", { operation });
	}
}
