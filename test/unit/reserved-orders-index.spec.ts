import fc from "fast-check";
import { ReservedOrders, ReservedOrdersIndex } from "../../services/inventory/actor/reserved-orders-index";

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

describe("ReservedOrders", () => {
	/** Pages that arrive only when the test lets them. */
	function gatedPages(ids: string[]) {
		let open!: () => void;
		const gate = new Promise<void>((resolve) => {
			open = resolve;
		});
		let reads = 0;
		return {
			open,
			get reads() {
				return reads;
			},
			readPages: async function* () {
				reads++;
				await gate;
				yield ids;
			},
		};
	}
	const settle = () => new Promise((resolve) => setImmediate(resolve));

	it("when ids are decided while the index is read, then it knows them too, and proves nothing before it is there", async () => {
		const source = gatedPages(["stored:SKU"]);
		const orders = new ReservedOrders(source.readPages);
		orders.read(() => ["in-flight:SKU"]);
		orders.read(() => []);
		orders.added("meanwhile:SKU");
		expect(orders.certainlyAbsent("stranger:SKU")).toBe(false);

		source.open();
		await settle();
		expect(orders.ready).toBe(true);
		expect(source.reads).toBe(1);
		for (const id of ["stored:SKU", "in-flight:SKU", "meanwhile:SKU"]) expect(orders.certainlyAbsent(id)).toBe(false);
		expect(orders.certainlyAbsent("stranger:SKU")).toBe(true);
		orders.added("later:SKU");
		expect(orders.certainlyAbsent("later:SKU")).toBe(false);
	});

	it("when the state is dropped while the index is read, then that read is thrown away", async () => {
		const source = gatedPages(["stored:SKU"]);
		const orders = new ReservedOrders(source.readPages);
		orders.read(() => []);
		orders.drop();
		source.open();
		await settle();
		expect(orders.ready).toBe(false);
		expect(orders.certainlyAbsent("stranger:SKU")).toBe(false);
	});

	it("when reading fails, then it proves nothing and is not read again at once", async () => {
		let reads = 0;
		const orders = new ReservedOrders(async function* () {
			reads++;
			yield* [];
			throw new Error("database down");
		});
		orders.read(() => []);
		await settle();
		orders.read(() => []);
		await settle();
		expect(reads).toBe(1);
		expect(orders.ready).toBe(false);
	});
});
