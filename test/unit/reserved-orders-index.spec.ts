import fc from "fast-check";
import { ReservedOrdersIndex } from "../../services/inventory/reserved-orders-index";

async function* pagesOf(ids: string[], size: number): AsyncGenerator<string[]> {
	for (let i = 0; i < ids.length; i += size) yield ids.slice(i, i + size);
}

describe("ReservedOrdersIndex", () => {
	it("never answers 'no' for an id it was built from or given since, however it was read", async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.uniqueArray(fc.string({ minLength: 1, maxLength: 40 }), { maxLength: 300 }),
				fc.array(fc.string({ minLength: 1, maxLength: 40 }), { maxLength: 50 }),
				fc.integer({ min: 1, max: 64 }),
				async (stored, addedLater, pageSize) => {
					const index = await ReservedOrdersIndex.fromPages(pagesOf(stored, pageSize));
					for (const id of addedLater) index.add(id);
					for (const id of [...stored, ...addedLater]) expect(index.mayContain(id)).toBe(true);
				},
			),
		);
	});

	it("answers 'no' for almost every id it never saw", () => {
		const index = ReservedOrdersIndex.of(Array.from({ length: 100_000 }, (_, i) => `order-${i}:SKU-HOT`));
		const strangers = Array.from({ length: 100_000 }, (_, i) => `other-${i}:SKU-HOT`);
		const maybes = strangers.filter((id) => index.mayContain(id)).length;
		// 32-bit hashes: about 100,000 / 2^32 of the strangers collide, i.e. 2 or 3 here.
		expect(maybes).toBeLessThan(50);
		expect(index.size).toBe(100_000);
	});
});
