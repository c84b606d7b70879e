import type { KvStore } from "../../lib/kv";
import { MemoryKvStore } from "../../lib/kv/memory-kv-store";
import { RedisKvStore } from "../../lib/kv/redis-kv-store";
import { uniqueId } from "../support/brokers";
import { infra } from "../support/infra";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each([
	["Redis", (prefix: string) => new RedisKvStore(infra.redisUrl, prefix)],
	["memory", (prefix: string) => new MemoryKvStore(prefix)],
])("KvStore on %s", (_label, create) => {
	let kv: KvStore;
	beforeEach(async () => {
		kv = create(`test:${uniqueId()}:`);
		await kv.connect();
	});
	afterEach(() => kv.close());

	it("when a value is set, then it reads back and deletes once", async () => {
		await kv.ping();
		await kv.set("cart", JSON.stringify({ items: 2 }));
		expect(JSON.parse((await kv.get("cart")) as string)).toEqual({ items: 2 });
		expect(await kv.ttlMs("cart")).toBeNull();
		expect(await kv.delete("cart")).toBe(true);
		expect(await kv.get("cart")).toBeNull();
	});

	it("when a key has a TTL, then it expires", async () => {
		await kv.set("token", "t", 100);
		expect(await kv.get("token")).toBe("t");
		await sleep(200);
		expect(await kv.get("token")).toBeNull();
	});

	it("when 200 increments race, then the counter counts each once and keeps the first TTL", async () => {
		const results = await Promise.all(Array.from({ length: 200 }, () => kv.increment("hits", 5000)));
		expect(new Set(results).size).toBe(200);
		expect(Math.max(...results)).toBe(200);
		const ttl = await kv.ttlMs("hits");
		expect(ttl).toBeGreaterThan(3000);
	});

	it("when setIfAbsent races, then exactly one writer wins", async () => {
		const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => kv.setIfAbsent("lock", `w${i}`, 1000)));
		expect(wins.filter(Boolean)).toHaveLength(1);
	});

	it("when two stores use different prefixes, then they do not see each other's keys", async () => {
		const other = create(`test:${uniqueId()}:`);
		await other.connect();
		try {
			await kv.set("shared-name", "mine");
			expect(await other.get("shared-name")).toBeNull();
		} finally {
			await other.close();
		}
	});
});
