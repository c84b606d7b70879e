import type { KvStore } from "./kv-store";
import { MemoryKvStore } from "./memory-kv-store";
import { RedisKvStore } from "./redis-kv-store";

export type { KvStore } from "./kv-store";

/** Redis when a URL is configured, else process memory (embedded mode). */
export function createKvStore(redisUrl: string, keyPrefix: string): KvStore {
	return redisUrl ? new RedisKvStore(redisUrl, keyPrefix) : new MemoryKvStore(keyPrefix);
}
