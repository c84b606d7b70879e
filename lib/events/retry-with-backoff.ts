export interface RetryOptions {
	/** Asked after every failure: true ends the retries with that failure. */
	giveUp(error: unknown): boolean;
	/** Told about each failure that will be retried, with the delay before the next attempt. */
	onRetry?(error: unknown, delayMs: number): void;
	firstDelayMs?: number;
	maxDelayMs?: number;
}

/**
 * Runs `attempt` until it succeeds, doubling the wait between failures up to `maxDelayMs`. For work that
 * must not be lost to a short outage (storing or moving a dead letter) and may block its consumer meanwhile;
 * `giveUp` ends it, typically when the node stops, so the broker redelivers the message later instead.
 */
export async function retryWithBackoff<T>(attempt: () => Promise<T>, opts: RetryOptions): Promise<T> {
	let delayMs = opts.firstDelayMs ?? 200;
	const maxDelayMs = opts.maxDelayMs ?? 5_000;
	for (;;) {
		try {
			return await attempt();
		} catch (err) {
			if (opts.giveUp(err)) throw err;
			opts.onRetry?.(err, delayMs);
			await new Promise((resolve) => setTimeout(resolve, delayMs));
			delayMs = Math.min(delayMs * 2, maxDelayMs);
		}
	}
}
