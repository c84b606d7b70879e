import type { KvStore } from "../../lib/kv";

/** What moleculer-web asks of a rate-limit store (`route.rateLimit.StoreFactory`). */
export interface RateLimitStore {
	/** The caller's count in the current window, this request included. */
	inc(key: string): Promise<number>;
	/** When the current window ends, epoch ms (the `X-Rate-Limit-Reset` header). */
	readonly resetTime: number;
}

/**
 * A fixed-window counter per key in the key-value store: Redis in a cluster, so every gateway node
 * counts against one limit, or process memory embedded. Windows are aligned to the clock, so every
 * node agrees on which window a request falls in without talking to the others.
 *
 * When the store does not answer, the request is let through (and the failure reported): a rate
 * limit protects the services, and turning a Redis outage into a full outage would not.
 */
export function kvRateLimitStore(
	kv: () => KvStore,
	route: string,
	onStoreError: (err: unknown) => void,
): new (
	windowMs: number,
) => RateLimitStore {
	return class KvRateLimitStore implements RateLimitStore {
		constructor(private readonly windowMs: number) {}

		get resetTime(): number {
			return (Math.floor(Date.now() / this.windowMs) + 1) * this.windowMs;
		}

		async inc(key: string): Promise<number> {
			const window = Math.floor(Date.now() / this.windowMs);
			try {
				// The TTL outlives the window a little: a node whose clock is behind still finds the count.
				return await kv().increment(`rate:${route}:${key}:${window}`, this.windowMs + 5_000);
			} catch (err) {
				onStoreError(err);
				return 0;
			}
		}
	};
}
