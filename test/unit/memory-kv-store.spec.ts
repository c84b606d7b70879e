import { MemoryKvStore } from "../../lib/kv/memory-kv-store";

describe("MemoryKvStore", () => {
	const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

	it("when a key outlives its TTL, then it is gone", async () => {
		const kv = new MemoryKvStore("p:");
		await kv.set("a", "1", 30);
		expect(await kv.get("a")).toBe("1");
		await sleep(50);
		expect(await kv.get("a")).toBeNull();
		expect(await kv.setIfAbsent("a", "2")).toBe(true);
		expect(await kv.setIfAbsent("a", "3")).toBe(false);
		expect(await kv.get("a")).toBe("2");
	});

	it("when a counter is incremented, then its TTL starts with the first increment", async () => {
		const kv = new MemoryKvStore();
		expect(await kv.increment("n", 1000)).toBe(1);
		expect(await kv.increment("n", 1000)).toBe(2);
		const ttl = await kv.ttlMs("n");
		expect(ttl).toBeGreaterThan(0);
		expect(ttl).toBeLessThanOrEqual(1000);
		expect(await kv.delete("n")).toBe(true);
		expect(await kv.delete("n")).toBe(false);
	});
});
