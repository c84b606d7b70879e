import { setTimeout as sleep } from "node:timers/promises";
import { backoffMs } from "../../lib/events/outbox-relay";
import type { ProviderOperation } from "./payment-provider";

export interface RetrySettings {
	/** Attempts in all, the first included. */
	maxAttempts: number;
	/** Wait before the first retry; doubles on each further one. */
	backoffMs: number;
}

export type CallResult<T> = { ok: true; value: T } | { ok: false; error: Error; attempts: number };

export interface CallHooks {
	/** Before each retry (for `payment_provider_retry_total`). */
	retrying(operation: ProviderOperation, attempt: number, error: Error): void;
}

function isRetryable(err: unknown): boolean {
	return Boolean((err as { retryable?: boolean }).retryable);
}

/**
 * Tries a provider call up to `maxAttempts` times with exponential backoff, and says how it ended
 * instead of throwing: the caller writes the dead letter in its own transaction, next to the state
 * change it makes. A non-retryable error (the provider refused the request itself) ends at once.
 */
/** The longest wait between two tries of a provider call. */
const MAX_BACKOFF_MS = 30_000;

export async function callWithRetry<T>(
	operation: ProviderOperation,
	call: () => Promise<T>,
	settings: RetrySettings,
	hooks: CallHooks,
): Promise<CallResult<T>> {
	for (let attempt = 1; ; attempt++) {
		try {
			return { ok: true, value: await call() };
		} catch (err) {
			const error = err instanceof Error ? err : new Error(String(err));
			if (attempt >= settings.maxAttempts || !isRetryable(err)) return { ok: false, error, attempts: attempt };
			hooks.retrying(operation, attempt, error);
			await sleep(backoffMs(attempt, settings.backoffMs, MAX_BACKOFF_MS));
		}
	}
}

/** One attempt, for an operator's replay of a dead letter ("once, now"). */
export function callOnce<T>(operation: ProviderOperation, call: () => Promise<T>): Promise<CallResult<T>> {
	return callWithRetry(operation, call, { maxAttempts: 1, backoffMs: 0 }, { retrying: () => undefined });
}
