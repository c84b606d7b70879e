/**
 * The behaviour every SearchEngine shows (services/search/engines/search-engine.ts), one `it` per rule.
 * Each engine's spec calls `describeSearchEngine` with a factory that returns an engine on fresh,
 * empty state (for a server engine: a uniquely named index), and, for engines that make writes
 * visible later, `settle` (e.g. an index refresh), which runs after every write before a read.
 */
import {
	type IndexChange,
	PRICE_BUCKET_EDGES_CENTS,
	type SearchDocument,
	type SearchEngine,
	type SearchPage,
	type SearchQuery,
} from "../../../services/search/engines/search-engine";

export interface SearchEngineSuiteOptions {
	settle?: (engine: SearchEngine) => Promise<void>;
}

let nextId = 0;

/** A product with defaults; ids are unique across the suite so tests cannot see each other's data. */
export function product(fields: Partial<SearchDocument> & Pick<SearchDocument, "name">): SearchDocument {
	nextId++;
	return {
		id: `p${String(nextId).padStart(5, "0")}`,
		sku: `SKU-${nextId}`,
		description: "",
		category: "misc",
		priceCents: 1_500,
		currency: "EUR",
		active: true,
		version: 1,
		...fields,
	};
}

const upsert = (document: SearchDocument): IndexChange => ({ kind: "upsert", document });
const remove = (id: string, version: number): IndexChange => ({ kind: "delete", id, version });

export function describeSearchEngine(
	label: string,
	makeEngine: () => Promise<SearchEngine>,
	opts: SearchEngineSuiteOptions = {},
): void {
	describe(`SearchEngine behaviour: ${label}`, () => {
		let engine: SearchEngine;

		beforeEach(async () => {
			engine = await makeEngine();
			await engine.start();
		});
		afterEach(async () => {
			await engine.stop();
		});

		const settle = async () => {
			await opts.settle?.(engine);
		};
		const apply = async (...changes: IndexChange[]) => {
			const outcomes = await engine.apply(changes);
			await settle();
			return outcomes;
		};
		const index = (...documents: SearchDocument[]) => apply(...documents.map(upsert));
		const search = (query: Partial<SearchQuery> = {}): Promise<SearchPage> =>
			engine.search({ activeOnly: true, page: 1, size: 20, ...query });
		const idsOf = async (query: Partial<SearchQuery> = {}) => (await search(query)).items.map((hit) => hit.id);
		const suggestedIds = async (prefix: string, limit = 10) =>
			(await engine.autocomplete(prefix, limit)).map((suggestion) => suggestion.id);

		describe("versions and tombstones", () => {
			it("when a product is upserted, then a search finds it with its public fields", async () => {
				const lamp = product({ name: "Brass Desk Lamp", category: "lighting", priceCents: 4_999 });
				expect(await index(lamp)).toEqual(["applied"]);

				const page = await search({ q: "lamp" });

				expect(page.total).toBe(1);
				expect(page.items[0]).toMatchObject({
					id: lamp.id,
					sku: lamp.sku,
					name: "Brass Desk Lamp",
					category: "lighting",
					priceCents: 4_999,
					currency: "EUR",
					active: true,
				});
				expect(typeof page.items[0]?.score).toBe("number");
			});

			it("when an upsert carries the stored version or an older one, then it is stale and changes nothing", async () => {
				const v2 = product({ name: "Walnut Chair", version: 2 });
				await index(v2);

				const outcomes = await apply(
					upsert({ ...v2, name: "Oak Chair", version: 2 }),
					upsert({ ...v2, name: "Pine Chair", version: 1 }),
				);

				expect(outcomes).toEqual(["stale", "stale"]);
				expect((await search({ q: "chair" })).items.map((hit) => hit.name)).toEqual(["Walnut Chair"]);
			});

			it("when a newer upsert arrives, then it replaces the whole document", async () => {
				const v1 = product({ name: "Walnut Chair", category: "chairs" });
				await index(v1);

				expect(await apply(upsert({ ...v1, name: "Oak Stool", category: "stools", version: 2 }))).toEqual(["applied"]);

				expect(await idsOf({ q: "walnut" })).toEqual([]);
				expect(await idsOf({ q: "stool", category: "stools" })).toEqual([v1.id]);
				expect(await engine.count()).toBe(1);
			});

			it("when one batch holds several changes of a product, then each is checked against the one before", async () => {
				const v1 = product({ name: "Green Kettle" });

				const outcomes = await apply(upsert(v1), upsert({ ...v1, version: 3 }), upsert({ ...v1, version: 2 }));

				expect(outcomes).toEqual(["applied", "applied", "stale"]);
			});

			it("when a product is deleted, then it is gone and a later, older upsert is stale and does not resurrect it", async () => {
				const v1 = product({ name: "Copper Kettle" });
				await index(v1);

				expect(await apply(remove(v1.id, 2))).toEqual(["applied"]);
				expect(await idsOf({ q: "kettle" })).toEqual([]);

				expect(await apply(upsert({ ...v1, version: 1 }), upsert({ ...v1, version: 2 }))).toEqual(["stale", "stale"]);
				expect(await idsOf({ q: "kettle" })).toEqual([]);
				expect(await idsOf()).toEqual([]);
				expect(await engine.count()).toBe(0);
			});

			it("when a delete is older than the stored version, then it is stale and the product stays", async () => {
				const v3 = product({ name: "Steel Kettle", version: 3 });
				await index(v3);

				expect(await apply(remove(v3.id, 3), remove(v3.id, 2))).toEqual(["stale", "stale"]);

				expect(await idsOf({ q: "kettle" })).toEqual([v3.id]);
			});

			it("when a product never indexed is deleted, then its tombstone still fences older upserts", async () => {
				const v1 = product({ name: "Glass Kettle" });

				expect(await apply(remove(v1.id, 5))).toEqual(["applied"]);

				expect(await apply(upsert({ ...v1, version: 4 }))).toEqual(["stale"]);
				expect(await idsOf({ q: "kettle" })).toEqual([]);
			});

			it("when a newer upsert follows a delete, then the product is back", async () => {
				const v1 = product({ name: "Iron Kettle" });
				await apply(upsert(v1), remove(v1.id, 2));

				expect(await apply(upsert({ ...v1, version: 3 }))).toEqual(["applied"]);

				expect(await idsOf({ q: "kettle" })).toEqual([v1.id]);
				expect(await engine.count()).toBe(1);
			});
		});

		describe("filters", () => {
			it("when activeOnly is set, then inactive products are left out; without it they are listed", async () => {
				const active = product({ name: "Red Scarf" });
				const inactive = product({ name: "Blue Scarf", active: false });
				await index(active, inactive);

				expect(await idsOf({ q: "scarf" })).toEqual([active.id]);
				expect((await search({ q: "scarf" })).total).toBe(1);
				expect(await idsOf({ q: "scarf", activeOnly: false })).toEqual([inactive.id, active.id]);
				expect(await idsOf({ activeOnly: false })).toEqual([inactive.id, active.id]);
			});

			it("when a category is given, then only that category's products are listed", async () => {
				const mug = product({ name: "Stoneware Mug", category: "kitchen" });
				const poster = product({ name: "Stoneware Poster", category: "decor" });
				await index(mug, poster);

				expect(await idsOf({ q: "stoneware", category: "kitchen" })).toEqual([mug.id]);
				expect(await idsOf({ category: "decor" })).toEqual([poster.id]);
				expect(await idsOf({ category: "garden" })).toEqual([]);
			});

			it("when a price range is given, then both bounds are inclusive", async () => {
				const cheap = product({ name: "Candle A", priceCents: 999 });
				const atMin = product({ name: "Candle B", priceCents: 1_000 });
				const atMax = product({ name: "Candle C", priceCents: 2_000 });
				const dear = product({ name: "Candle D", priceCents: 2_001 });
				await index(cheap, atMin, atMax, dear);

				expect(await idsOf({ q: "candle", minPriceCents: 1_000, maxPriceCents: 2_000 })).toEqual([atMin.id, atMax.id]);
				expect(await idsOf({ minPriceCents: 2_000 })).toEqual([atMax.id, dear.id]);
				expect(await idsOf({ maxPriceCents: 999 })).toEqual([cheap.id]);
			});
		});

		describe("facets", () => {
			it("when a category is selected, then the category facet still counts every category (and honours q, price and activeOnly)", async () => {
				await index(
					product({ name: "Linen Shirt", category: "shirts", priceCents: 3_000 }),
					product({ name: "Linen Shirt Slim", category: "shirts", priceCents: 3_500 }),
					product({ name: "Linen Trousers", category: "trousers", priceCents: 4_000 }),
					product({ name: "Linen Towel", category: "bath", priceCents: 20_000 }),
					product({ name: "Linen Cap", category: "hats", priceCents: 2_000, active: false }),
					product({ name: "Cotton Shirt", category: "shirts", priceCents: 3_000 }),
				);

				const page = await search({ q: "linen", category: "shirts", maxPriceCents: 5_000 });

				expect(page.total).toBe(2);
				expect(page.facets.category).toEqual([
					{ value: "shirts", count: 2 },
					{ value: "trousers", count: 1 },
				]);
			});

			it("when a price range is selected, then the price facet counts every bucket of PRICE_BUCKET_EDGES_CENTS", async () => {
				const prices = [0, 999, 1_000, 2_499, 2_500, 7_500, 9_999, 10_000, 1_000_000];
				await index(...prices.map((priceCents) => product({ name: "Vase", priceCents, category: "decor" })));
				await index(product({ name: "Vase", priceCents: 500, category: "garden" }));

				const page = await search({ q: "vase", category: "decor", minPriceCents: 10_000 });

				expect(page.total).toBe(2);
				expect(page.facets.price).toEqual([
					{ fromCents: 0, toCents: 1_000, count: 2 },
					{ fromCents: 1_000, toCents: 2_500, count: 2 },
					{ fromCents: 2_500, toCents: 5_000, count: 1 },
					{ fromCents: 5_000, toCents: 10_000, count: 2 },
					{ fromCents: 10_000, toCents: null, count: 2 },
				]);
				expect(page.facets.price.map((bucket) => bucket.fromCents)).toEqual([...PRICE_BUCKET_EDGES_CENTS]);
			});

			it("when products are deleted or inactive, then they count in no total or facet", async () => {
				const gone = product({ name: "Wool Blanket", category: "bedding", priceCents: 500 });
				await index(gone, product({ name: "Wool Blanket", category: "bedding", priceCents: 500, active: false }));
				await index(product({ name: "Wool Throw", category: "living", priceCents: 500 }));
				await apply(remove(gone.id, 2));

				const page = await search({ q: "wool" });

				expect(page.total).toBe(1);
				expect(page.facets.category).toEqual([{ value: "living", count: 1 }]);
				expect(page.facets.price.map((bucket) => bucket.count)).toEqual([1, 0, 0, 0, 0]);
			});
		});

		describe("paging", () => {
			it("when results span pages, then each page holds its slice and every page reports the same total", async () => {
				const bowls = ["A", "B", "C", "D", "E"].map((letter) => product({ name: `Bowl ${letter}` }));
				await index(...[...bowls].reverse());

				const first = await search({ page: 1, size: 2 });
				const last = await search({ page: 3, size: 2 });
				const beyond = await search({ page: 4, size: 2 });

				expect(first.items.map((hit) => hit.id)).toEqual([bowls[0]?.id, bowls[1]?.id]);
				expect(last.items.map((hit) => hit.id)).toEqual([bowls[4]?.id]);
				expect(beyond.items).toEqual([]);
				expect([first.total, last.total, beyond.total]).toEqual([5, 5, 5]);
			});
		});

		describe("ranking", () => {
			it("when q is a product's SKU (any case), then that product comes first", async () => {
				const named = product({ name: "Hammer ab-1234 Edition", sku: "XY-1" });
				const bySku = product({ name: "Claw Hammer", sku: "AB-1234" });
				await index(named, bySku);

				expect((await idsOf({ q: "ab-1234" }))[0]).toBe(bySku.id);
				expect((await idsOf({ q: "AB-1234" }))[0]).toBe(bySku.id);
			});

			it("when one product has the term in its name and another only in its description, then the name match ranks first", async () => {
				const inDescription = product({
					name: "Garden Hose",
					description: "Pairs with our sprinkler, the best sprinkler, a sprinkler for every sprinkler fan",
				});
				const inName = product({ name: "Oscillating Sprinkler With Adjustable Spray Width And Timer" });
				await index(inDescription, inName);

				expect(await idsOf({ q: "sprinkler" })).toEqual([inName.id, inDescription.id]);
			});

			it("when one name starts with the query and another contains it later, then the one starting with it ranks first", async () => {
				const contains = product({ name: "Large Wooden Cutting Board" });
				const startsWith = product({ name: "Cutting Board Large Wooden Oiled Edition" });
				await index(contains, startsWith);

				expect(await idsOf({ q: "cutting board" })).toEqual([startsWith.id, contains.id]);
				expect(await idsOf({ q: "cutting bo" })).toEqual([startsWith.id, contains.id]);
			});

			it("when a term of 4-7 characters has one typo, then it still matches, but not with two", async () => {
				const mouse = product({ name: "Optical Mouse" });
				await index(mouse);

				expect(await idsOf({ q: "moyse" })).toEqual([mouse.id]);
				expect(await idsOf({ q: "moyse optical" })).toEqual([mouse.id]);
				expect(await idsOf({ q: "mpyse" })).toEqual([]);
			});

			it("when two neighbouring letters are swapped, then it is one typo", async () => {
				const poster = product({ name: "Concert Poster" });
				await index(poster);

				expect(await idsOf({ q: "postre" })).toEqual([poster.id]);
				expect(await idsOf({ q: "ocncert postre" })).toEqual([poster.id]);
				expect(await idsOf({ q: "psotre" })).toEqual([]);
			});

			it("when a term of 8 or more characters has two typos, then it still matches, but not with three", async () => {
				const headphones = product({ name: "Wireless Headphones" });
				await index(headphones);

				expect(await idsOf({ q: "hedphonez" })).toEqual([headphones.id]);
				expect(await idsOf({ q: "hedphonez wireless" })).toEqual([headphones.id]);
				expect(await idsOf({ q: "hxdphonez" })).toEqual([]);
			});

			it("when a term has fewer than 4 characters, then a typo in it does not match", async () => {
				const hat = product({ name: "Felt Hat" });
				await index(hat);

				expect(await idsOf({ q: "hat" })).toEqual([hat.id]);
				expect(await idsOf({ q: "hot" })).toEqual([]);
			});

			it("when the last term is a word's beginning, then it matches as a prefix", async () => {
				const teapot = product({ name: "Ceramic Teapot" });
				await index(teapot, product({ name: "Ceramic Vase" }));

				expect(await idsOf({ q: "ceramic tea" })).toEqual([teapot.id]);
				expect(await idsOf({ q: "tea" })).toEqual([teapot.id]);
			});

			it("when q is empty, then every product is listed by name, then id", async () => {
				const zebra = product({ name: "Zebra Print Rug" });
				const apple1 = product({ name: "Apple Crate" });
				const apple2 = product({ name: "Apple Crate" });
				const mango = product({ name: "Mango Wood Bench" });
				await index(zebra, apple2, mango, apple1);

				expect(await idsOf()).toEqual([apple1.id, apple2.id, mango.id, zebra.id]);
				expect(await idsOf({ q: "" })).toEqual([apple1.id, apple2.id, mango.id, zebra.id]);
			});

			it("when products score the same for q, then they come by name", async () => {
				const beta = product({ name: "Lantern Beta", id: "z-beta" });
				const alpha = product({ name: "Lantern Alpha", id: "z-alpha" });
				const gamma = product({ name: "Lantern Gamma", id: "a-gamma" });
				await index(gamma, beta, alpha);

				expect(await idsOf({ q: "lantern" })).toEqual([alpha.id, beta.id, gamma.id]);
			});
		});

		describe("autocomplete", () => {
			it("when a prefix is typed, then products with a name word starting with it are suggested, names starting with it first", async () => {
				const tent = product({ name: "Tent Pegs", sku: "TP-1" });
				const family = product({ name: "Family Tent" });
				await index(family, tent, product({ name: "Sleeping Bag" }));

				expect(await engine.autocomplete("ten", 10)).toEqual([
					{ text: "Tent Pegs", id: tent.id, sku: "TP-1" },
					{ text: "Family Tent", id: family.id, sku: family.sku },
				]);
			});

			it("when more products match than the limit, then only `limit` are suggested", async () => {
				await index(...["A", "B", "C", "D"].map((letter) => product({ name: `Pillow ${letter}` })));

				expect(await suggestedIds("pil", 3)).toHaveLength(3);
			});

			it("when a longer prefix has a typo, then it still suggests; a short one does not", async () => {
				const keyboard = product({ name: "Mechanical Keyboard" });
				await index(keyboard);

				expect(await suggestedIds("mechen")).toEqual([keyboard.id]);
				expect(await suggestedIds("mechanicsl")).toEqual([keyboard.id]);
				expect(await suggestedIds("mec")).toEqual([keyboard.id]);
				expect(await suggestedIds("mex")).toEqual([]);
			});

			it("when products are inactive or deleted, then they are never suggested", async () => {
				const deleted = product({ name: "Rain Jacket" });
				await index(deleted, product({ name: "Rain Boots", active: false }));
				await apply(remove(deleted.id, 2));

				expect(await suggestedIds("rain")).toEqual([]);
			});
		});

		describe("tombstone purge", () => {
			const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

			/**
			 * A cluster engine forgets a purged id's version at a refresh after its delete marker aged
			 * (index.gc_deletes 0, the server's clock ticking in ~200 ms steps): retry a stale upsert for a while.
			 */
			const applyOnceForgotten = async (change: IndexChange) => {
				for (let attempt = 0; attempt < 20; attempt++) {
					const [outcome] = await apply(change);
					if (outcome === "applied") return outcome;
					await pause(250);
					await settle();
				}
				return "stale";
			};

			it("when tombstones are purged before a time, then only older ones go, their count is answered, and an older upsert of a purged id applies again", async () => {
				const old = [product({ name: "Old Lamp" }), product({ name: "Old Stool" })];
				const recent = product({ name: "Recent Lamp" });
				const live = product({ name: "Live Lamp" });
				await index(...old, recent, live);
				await apply(...old.map((doc) => remove(doc.id, 2)));
				await pause(5);
				const cutoff = Date.now();
				await pause(5);
				await apply(remove(recent.id, 2));

				expect(await engine.purgeTombstones(cutoff)).toBe(2);
				await settle();

				expect(await apply(upsert({ ...recent, version: 1 }))).toEqual(["stale"]);
				expect(await applyOnceForgotten(upsert({ ...(old[0] as SearchDocument), version: 1 }))).toBe("applied");
				expect(await idsOf({ q: "lamp" })).toEqual([live.id, old[0]?.id]);
				expect(await engine.purgeTombstones(cutoff)).toBe(0);
			});

			it("when tombstones are purged, then live documents are never removed, however old", async () => {
				const shelf = product({ name: "Oak Shelf" });
				const hidden = product({ name: "Pine Shelf", active: false });
				await index(shelf, hidden);

				expect(await engine.purgeTombstones(Date.now() + 60_000)).toBe(0);
				await settle();

				expect(await engine.count()).toBe(2);
				expect(await idsOf({ q: "shelf", activeOnly: false })).toEqual([shelf.id, hidden.id]);
			});

			it("when a rebuild is open, then a purge reaches the new index too", async () => {
				const gone = product({ name: "Purged Clock" });
				await apply(upsert(gone), remove(gone.id, 2));
				const rebuild = await engine.beginRebuild();
				await pause(5);

				expect(await engine.purgeTombstones(Date.now())).toBe(1);
				await rebuild.commit();
				await settle();

				expect(await applyOnceForgotten(upsert(gone))).toBe("applied");
				expect(await idsOf({ q: "purged" })).toEqual([gone.id]);
			});
		});

		describe("count", () => {
			it("counts live products, active or not, and never tombstones", async () => {
				const deleted = product({ name: "Desk" });
				await index(deleted, product({ name: "Shelf" }), product({ name: "Cabinet", active: false }));
				await apply(remove(deleted.id, 2), remove("never-indexed", 1));

				expect(await engine.count()).toBe(2);
			});
		});

		describe("rebuild", () => {
			it("while a rebuild is open, searches serve the old index; on commit the new one serves, with changes applied meanwhile", async () => {
				const old = product({ name: "Old Clock" });
				await index(old);
				const rebuild = await engine.beginRebuild();
				const fromCatalog = product({ name: "Catalog Clock" });
				await rebuild.add([fromCatalog]);
				await settle();

				const during = product({ name: "Live Clock" });
				await index(during);
				expect(await idsOf({ q: "clock" })).toEqual([during.id, old.id]);

				await rebuild.commit();
				await settle();
				expect(await idsOf({ q: "clock" })).toEqual([fromCatalog.id, during.id]);
				expect(await engine.count()).toBe(2);
			});

			it("while a rebuild is open, a delete reaches the new index too, and an older catalog copy added afterwards is stale", async () => {
				const doomed = product({ name: "Doomed Clock" });
				await index(doomed);
				const rebuild = await engine.beginRebuild();

				await apply(remove(doomed.id, 2));
				await rebuild.add([doomed]);
				await rebuild.commit();
				await settle();

				expect(await idsOf({ q: "clock" })).toEqual([]);
				expect(await engine.count()).toBe(0);
			});

			it("when a product was deleted before a rebuild, then after the swap a late, older upsert still does not resurrect it", async () => {
				const deleted = product({ name: "Retired Clock" });
				await apply(upsert(deleted), remove(deleted.id, 2));
				const rebuild = await engine.beginRebuild();
				await rebuild.add([product({ name: "Catalog Clock" })]);
				await rebuild.commit();
				await settle();

				expect(await apply(upsert({ ...deleted, version: 1 }))).toEqual(["stale"]);
				expect(await idsOf({ q: "retired" })).toEqual([]);
			});

			it("when a rebuild is aborted, then the old index keeps serving, changes made meanwhile included", async () => {
				const old = product({ name: "Old Clock" });
				await index(old);
				const rebuild = await engine.beginRebuild();
				await rebuild.add([product({ name: "Catalog Clock" })]);
				const during = product({ name: "Live Clock" });
				await index(during);

				await rebuild.abort();
				await settle();

				expect(await idsOf({ q: "clock" })).toEqual([during.id, old.id]);
				expect(await engine.count()).toBe(2);
			});
		});
	});
}
