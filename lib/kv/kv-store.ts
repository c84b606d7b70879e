/**
 * A small key-value store: guest carts, token blacklists, rate-limit counters. Values are strings
 * (callers serialise); every write may carry a time to live in milliseconds.
 */
export interface KvStore {
	readonly kind: "memory" | "redis";
	connect(): Promise<void>;
	close(): Promise<void>;
	/** Resolves when the store answers; rejects otherwise (health checks). */
	ping(): Promise<void>;
	get(key: string): Promise<string | null>;
	set(key: string, value: string, ttlMs?: number): Promise<void>;
	/** Writes only if the key does not exist; true when written. */
	setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean>;
	/** True when a key was removed. */
	delete(key: string): Promise<boolean>;
	/** Atomically adds 1 and returns the new value; the TTL is set when the key is created. */
	increment(key: string, ttlMs?: number): Promise<number>;
	/** Milliseconds the key has left, null when it has no TTL or does not exist. */
	ttlMs(key: string): Promise<number | null>;
}
