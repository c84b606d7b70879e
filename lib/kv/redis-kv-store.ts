import Redis from "ioredis";
import type { KvStore } from "./kv-store";

/**
 * Increments and sets the TTL only when the key was created by this increment, in one round trip,
 * so a counter never lives forever because a client died between INCR and PEXPIRE.
 */
const INCREMENT_WITH_TTL = `
local n = redis.call('INCR', KEYS[1])
if n == 1 and tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

/** Store shared by every node of the cluster. */
export class RedisKvStore implements KvStore {
	readonly kind = "redis";
	private readonly client: Redis;

	constructor(url: string, keyPrefix = "") {
		this.client = new Redis(url, {
			keyPrefix,
			lazyConnect: true,
			// Fail calls fast while Redis is down instead of queueing them without bound.
			maxRetriesPerRequest: 2,
			enableOfflineQueue: false,
		});
		this.client.defineCommand("incrementWithTtl", { numberOfKeys: 1, lua: INCREMENT_WITH_TTL });
	}

	async connect(): Promise<void> {
		await this.client.connect();
	}

	async close(): Promise<void> {
		if (this.client.status !== "end") await this.client.quit().catch(() => this.client.disconnect());
	}

	async ping(): Promise<void> {
		await this.client.ping();
	}

	get(key: string): Promise<string | null> {
		return this.client.get(key);
	}

	async set(key: string, value: string, ttlMs?: number): Promise<void> {
		if (ttlMs && ttlMs > 0) await this.client.set(key, value, "PX", ttlMs);
		else await this.client.set(key, value);
	}

	async setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
		const result =
			ttlMs && ttlMs > 0
				? await this.client.set(key, value, "PX", ttlMs, "NX")
				: await this.client.set(key, value, "NX");
		return result === "OK";
	}

	async delete(key: string): Promise<boolean> {
		return (await this.client.del(key)) > 0;
	}

	async increment(key: string, ttlMs?: number): Promise<number> {
		const client = this.client as unknown as { incrementWithTtl(k: string, ttl: number): Promise<number> };
		return Number(await client.incrementWithTtl(key, ttlMs ?? 0));
	}

	async ttlMs(key: string): Promise<number | null> {
		const ms = await this.client.pttl(key);
		return ms >= 0 ? ms : null;
	}
}
