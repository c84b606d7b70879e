import { randomUUID } from "node:crypto";
import type Redis from "ioredis";
import { Errors } from "moleculer";

export interface RedisLockOptions {
	/** The lock expires by itself after this long, so a crashed holder cannot block the SKU forever. */
	ttlMs: number;
	/** Give up (and fail the request) after trying this long. */
	acquireTimeoutMs: number;
	/** First retry delay; it doubles per attempt up to `maxDelayMs`, each one fully jittered. */
	minDelayMs: number;
	maxDelayMs: number;
}

/** The lock was held by others for the whole acquire timeout. Nothing was changed. */
export class LockNotAcquiredError extends Errors.MoleculerRetryableError {
	constructor(key: string, waitedMs: number) {
		super(`Could not lock ${key} within ${waitedMs} ms`, 503, "LOCK_NOT_ACQUIRED", { key });
	}
}

/** Deletes the key only when it still holds our token: never releases a lock someone else took after ours expired. */
const COMPARE_AND_DELETE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

type RedisWithUnlock = Redis & { compareAndDelete(key: string, token: string): Promise<number> };

/**
 * The reference system's per-request mutual exclusion: `SET key token NX PX ttl`, polled with
 * jittered exponential backoff until it succeeds or the timeout passes, released by a Lua
 * compare-and-delete. Every request of a hot SKU queues on this one key.
 */
export class RedisLock {
	private readonly redis: RedisWithUnlock;

	constructor(
		redis: Redis,
		private readonly options: RedisLockOptions,
	) {
		redis.defineCommand("compareAndDelete", { numberOfKeys: 1, lua: COMPARE_AND_DELETE });
		this.redis = redis as RedisWithUnlock;
	}

	/** Runs `work` while holding the lock on `key`. */
	async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
		const token = randomUUID();
		await this.acquire(key, token);
		try {
			return await work();
		} finally {
			await this.redis.compareAndDelete(key, token);
		}
	}

	private async acquire(key: string, token: string): Promise<void> {
		const started = Date.now();
		let ceiling = this.options.minDelayMs;
		for (;;) {
			const acquired = await this.redis.set(key, token, "PX", this.options.ttlMs, "NX");
			if (acquired === "OK") return;
			const waited = Date.now() - started;
			if (waited >= this.options.acquireTimeoutMs) throw new LockNotAcquiredError(key, waited);
			await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
			ceiling = Math.min(ceiling * 2, this.options.maxDelayMs);
		}
	}
}
