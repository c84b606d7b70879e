import { rendezvousOwner } from "../../services/inventory/caller/rendezvous-hash";
import { SkuAffinityStrategy } from "../../services/inventory/caller/sku-affinity.strategy";

const nodes = ["node-a", "node-b", "node-c", "node-d"];
const keys = Array.from({ length: 20_000 }, (_, i) => `SKU-${i}`);
const id = (n: string) => n;

function owners(candidates: string[]): Map<string, string> {
	return new Map(keys.map((k) => [k, rendezvousOwner(k, candidates, id) as string]));
}

describe("rendezvous hashing", () => {
	it("when keys are spread over 4 nodes, then each node owns about a quarter", () => {
		const counts = new Map<string, number>();
		for (const owner of owners(nodes).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
		for (const n of nodes) expect(Math.abs((counts.get(n) ?? 0) / keys.length - 0.25)).toBeLessThan(0.02);
	});

	it("when a node leaves, then only the keys it owned move", () => {
		const before = owners(nodes);
		const after = owners(nodes.filter((n) => n !== "node-c"));
		let moved = 0;
		for (const k of keys) {
			if (before.get(k) !== after.get(k)) {
				moved++;
				expect(before.get(k)).toBe("node-c");
			}
		}
		expect(moved / keys.length).toBeGreaterThan(0.2);
		expect(moved / keys.length).toBeLessThan(0.3);
	});

	it("when a node joins, then it takes about 1/n of the keys and no key moves between old nodes", () => {
		const before = owners(nodes);
		const after = owners([...nodes, "node-e"]);
		let moved = 0;
		for (const k of keys) {
			if (before.get(k) !== after.get(k)) {
				moved++;
				expect(after.get(k)).toBe("node-e");
			}
		}
		expect(moved / keys.length).toBeGreaterThan(0.17);
		expect(moved / keys.length).toBeLessThan(0.23);
	});

	it("when the strategy selects, then the same SKU always gets the same endpoint regardless of list order", () => {
		const strategy = new SkuAffinityStrategy({} as never, {} as never, {});
		const endpoints = nodes.map((n) => ({ id: n })) as never[];
		const ctx = (sku: string) => ({ params: { sku } }) as never;
		for (const sku of keys.slice(0, 200)) {
			const first = strategy.select(endpoints, ctx(sku));
			const second = strategy.select([...endpoints].reverse(), ctx(sku));
			expect(second).toBe(first);
		}
	});
});
