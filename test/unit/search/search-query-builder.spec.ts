import type { SearchQuery } from "../../../services/search/engines/search-engine";
import {
	buildAutocompleteRequest,
	buildSearchRequest,
	bulkItemOutcome,
	bulkOperations,
	type Dsl,
	foldForIndex,
	MAX_RESULT_WINDOW,
	queryTerms,
	RANK_TIERS,
	readSearchPage,
	readSuggestions,
	TYPO_FUZZINESS,
} from "../../../services/search/engines/search-query-builder";

const browse: SearchQuery = { activeOnly: true, page: 1, size: 20 };

/** Every object in `tree` (depth first) that has `key`, so a test can find clauses wherever they nest. */
function clausesWith(tree: unknown, key: string): Dsl[] {
	const found: Dsl[] = [];
	const visit = (node: unknown) => {
		if (Array.isArray(node)) node.forEach(visit);
		else if (node && typeof node === "object") {
			if (key in node) found.push(node as Dsl);
			Object.values(node).forEach(visit);
		}
	};
	visit(tree);
	return found;
}

const boolOf = (request: Dsl) => (request.query as { bool: Dsl }).bool;

describe("search query builder", () => {
	describe("text helpers", () => {
		it("folds case and accents as the index's lowercase + asciifolding filters do", () => {
			expect(foldForIndex("Crème BRÛLÉE Ångström")).toBe("creme brulee angstrom");
		});

		it("cuts q into words on anything but letters and digits", () => {
			expect(queryTerms("  T-Shirt, Blue!  size 42 ")).toEqual(["t", "shirt", "blue", "size", "42"]);
			expect(queryTerms("-- !!")).toEqual([]);
		});
	});

	describe("browse (no q)", () => {
		it("lists live, active products by folded name then id, without scoring clauses", () => {
			const request = buildSearchRequest(browse);

			expect(request.sort).toEqual([{ "name.sort": { order: "asc", missing: "_last" } }, { id: { order: "asc" } }]);
			expect(boolOf(request)).toEqual({ filter: [{ term: { deleted: false } }, { term: { active: true } }] });
			expect(request.post_filter).toBeUndefined();
			expect(request.track_total_hits).toBe(true);
		});

		it("treats a blank q as no q", () => {
			expect(buildSearchRequest({ ...browse, q: "   " })).toEqual(buildSearchRequest(browse));
		});

		it("leaves inactive products in when activeOnly is false, never tombstones", () => {
			expect(boolOf(buildSearchRequest({ ...browse, activeOnly: false })).filter).toEqual([
				{ term: { deleted: false } },
			]);
		});

		it("turns a 1-based page into an offset", () => {
			expect(buildSearchRequest({ ...browse, page: 3, size: 25 })).toMatchObject({ from: 50, size: 25 });
		});

		it("keeps a deep page within the servers' result window instead of having it refused", () => {
			expect(buildSearchRequest({ ...browse, page: 500, size: 20 })).toMatchObject({ from: 9_980, size: 20 });
			expect(buildSearchRequest({ ...browse, page: 166, size: 60 })).toMatchObject({ from: 9_900, size: 60 });
			expect(buildSearchRequest({ ...browse, page: 167, size: 60 })).toMatchObject({ from: 9_960, size: 40 });
			expect(buildSearchRequest({ ...browse, page: 9_999, size: 20 })).toMatchObject({
				from: MAX_RESULT_WINDOW,
				size: 0,
			});
		});

		it("never sends the description back", () => {
			expect(buildSearchRequest(browse)._source).not.toContain("description");
		});
	});

	describe("with q", () => {
		const request = buildSearchRequest({ ...browse, q: "Blue Sh" });
		const bool = boolOf(request);

		it("ranks by score, then name, then id", () => {
			expect(request.sort).toEqual([
				{ _score: { order: "desc" } },
				{ "name.sort": { order: "asc", missing: "_last" } },
				{ id: { order: "asc" } },
			]);
		});

		it("matches the exact SKU (as typed; the normalizer folds case) in the top tier", () => {
			const sku = clausesWith(bool.must, "constant_score").find((c) =>
				JSON.stringify(c).includes('"sku.exact":"Blue Sh"'),
			);
			expect(sku).toEqual({
				constant_score: { filter: { term: { "sku.exact": "Blue Sh" } }, boost: RANK_TIERS.exactSku },
			});
		});

		it("puts the SKU tier far above the name tiers, and a name starting with q above one containing it", () => {
			expect(RANK_TIERS.exactSku).toBeGreaterThan(
				10 * (RANK_TIERS.nameStartsWithQuery + RANK_TIERS.namePhrasePrefix + RANK_TIERS.allTermsInName),
			);
			expect(bool.should).toEqual([
				expect.objectContaining({ constant_score: expect.objectContaining({ boost: RANK_TIERS.allTermsInName }) }),
				{
					constant_score: {
						filter: { match_phrase_prefix: { name: { query: "blue sh" } } },
						boost: RANK_TIERS.namePhrasePrefix,
					},
				},
				{
					constant_score: {
						filter: { prefix: { "name.sort": { value: "blue sh" } } },
						boost: RANK_TIERS.nameStartsWithQuery,
					},
				},
			]);
		});

		it("tolerates typos on every term with AUTO:4,8, and weights the name over the description", () => {
			const fuzzy = clausesWith(bool.must, "match").map((c) => c.match as Record<string, Dsl>);
			const nameMatches = fuzzy.filter((m) => "name" in m).map((m) => m.name);
			const descriptionMatches = fuzzy.filter((m) => "description" in m).map((m) => m.description);

			expect(nameMatches.map((m) => m?.query)).toEqual(["blue", "sh"]);
			expect(nameMatches.every((m) => m?.fuzziness === TYPO_FUZZINESS)).toBe(true);
			expect(descriptionMatches.every((m) => m?.fuzziness === TYPO_FUZZINESS)).toBe(true);
			expect(Number(nameMatches[0]?.boost)).toBeGreaterThan(Number(descriptionMatches[0]?.boost));
		});

		it("matches only the last term as a prefix", () => {
			const prefixes = [
				...clausesWith(bool.must, "match")
					.map((c) => (c.match as Record<string, Dsl>)["name.prefix"])
					.filter(Boolean),
				...clausesWith(bool.must, "prefix").map((c) => (c.prefix as Record<string, Dsl>).description),
			];

			expect(prefixes.map((p) => p?.query ?? p?.value)).toEqual(["sh", "sh"]);
		});

		it("requires every term (each in the name or the description), or the SKU", () => {
			const must = (bool.must as Dsl[])[0] as { bool: { should: Dsl[]; minimum_should_match: number } };
			const [, text] = must.bool.should;
			expect(must.bool.minimum_should_match).toBe(1);
			expect(((text as { bool: { must: Dsl[] } }).bool.must ?? []).length).toBe(2);
		});

		it("when q has no words (punctuation only), then only the SKU can match", () => {
			const only = boolOf(buildSearchRequest({ ...browse, q: "--" }));
			expect(only.must).toEqual([
				{ constant_score: { filter: { term: { "sku.exact": "--" } }, boost: RANK_TIERS.exactSku } },
			]);
			expect(only.should).toEqual([]);
		});
	});

	describe("filters and facets", () => {
		const category = { term: { category: "shirts" } };
		const price = { range: { priceCents: { gte: 1_000, lte: 5_000 } } };

		it("filters hits by category and price after the aggregations (post_filter)", () => {
			const request = buildSearchRequest({ ...browse, category: "shirts", minPriceCents: 1_000, maxPriceCents: 5_000 });

			expect(request.post_filter).toEqual({ bool: { filter: [category, price] } });
			expect(boolOf(request).filter).toEqual([{ term: { deleted: false } }, { term: { active: true } }]);
		});

		it("counts each facet under the other facet's filter, not its own", () => {
			const aggs = buildSearchRequest({ ...browse, category: "shirts", minPriceCents: 1_000, maxPriceCents: 5_000 })
				.aggs as Record<string, Dsl>;

			expect(aggs.category_facet?.filter).toEqual({ bool: { filter: [price] } });
			expect(aggs.price_facet?.filter).toEqual({ bool: { filter: [category] } });
		});

		it("keeps a one-sided price range one-sided, and aggregates over everything without filters", () => {
			const request = buildSearchRequest({ ...browse, minPriceCents: 0 });
			const aggs = request.aggs as Record<string, Dsl>;

			expect(request.post_filter).toEqual({ bool: { filter: [{ range: { priceCents: { gte: 0 } } }] } });
			expect(aggs.price_facet?.filter).toEqual({ match_all: {} });
		});

		it("asks for the contract's price buckets, the last one open", () => {
			const aggs = buildSearchRequest(browse).aggs as Record<string, { aggs: Record<string, Dsl> }>;

			expect(aggs.price_facet?.aggs.buckets).toEqual({
				range: {
					field: "priceCents",
					ranges: [
						{ from: 0, to: 1_000 },
						{ from: 1_000, to: 2_500 },
						{ from: 2_500, to: 5_000 },
						{ from: 5_000, to: 10_000 },
						{ from: 10_000 },
					],
				},
			});
		});
	});

	describe("autocomplete", () => {
		const request = buildAutocompleteRequest("Mechen Key", 7);

		it("suggests live, active products only, at most `limit`, with the fields a suggestion shows", () => {
			expect(request.size).toBe(7);
			expect(request._source).toEqual(["id", "sku", "name"]);
			expect(boolOf(request).filter).toEqual([{ term: { deleted: false } }, { term: { active: true } }]);
		});

		it("matches every typed word as a name-word prefix, typo-tolerant by length", () => {
			expect(boolOf(request).must).toEqual([
				{ match: { "name.prefix": { query: "mechen", fuzziness: TYPO_FUZZINESS } } },
				{ match: { "name.prefix": { query: "key", fuzziness: TYPO_FUZZINESS } } },
			]);
		});

		it("ranks a name starting with the text above a name merely containing its words", () => {
			const boosts = (boolOf(request).should as Array<{ constant_score: { boost: number; filter: Dsl } }>).map((c) => [
				Object.keys(c.constant_score.filter)[0],
				c.constant_score.boost,
			]);
			expect(boosts).toEqual([
				["match", RANK_TIERS.allTermsInName],
				["prefix", RANK_TIERS.nameStartsWithQuery],
			]);
		});
	});

	describe("bulk writes", () => {
		const doc = {
			id: "p1",
			sku: "S-1",
			name: "Lamp",
			description: "",
			category: "lighting",
			priceCents: 100,
			currency: "EUR",
			active: true,
			version: 4,
		};

		it("writes upserts and tombstones with the catalog version as an external version", () => {
			expect(
				bulkOperations(
					[
						{ kind: "upsert", document: doc },
						{ kind: "delete", id: "p2", version: 9 },
					],
					"shop-products",
					1_700_000_000_000,
				),
			).toEqual([
				{ index: { _index: "shop-products", _id: "p1", version: 4, version_type: "external" } },
				{ ...doc, deleted: false },
				{ index: { _index: "shop-products", _id: "p2", version: 9, version_type: "external" } },
				{ id: "p2", version: 9, deleted: true, deletedAt: 1_700_000_000_000 },
			]);
		});

		it("reads 2xx as applied, a version conflict as stale, anything else as an error", () => {
			expect(bulkItemOutcome({ status: 201 })).toBe("applied");
			expect(bulkItemOutcome({ status: 200 })).toBe("applied");
			expect(bulkItemOutcome({ status: 409, error: { type: "version_conflict_engine_exception", reason: "x" } })).toBe(
				"stale",
			);
			expect(
				bulkItemOutcome({ status: 400, _id: "p3", error: { type: "mapper_parsing_exception", reason: "bad price" } }),
			).toEqual({ error: "document p3 was not written (mapper_parsing_exception: bad price)" });
			expect(bulkItemOutcome({ status: 429, _id: "p4" })).toEqual({
				error: "document p4 was not written (status 429)",
			});
		});
	});

	describe("reading answers", () => {
		const hit = (id: string, score: number | null) => ({
			_id: id,
			_score: score,
			_source: { id, sku: `S-${id}`, name: `N ${id}`, category: "c", priceCents: 5, currency: "EUR", active: true },
		});

		it("maps hits, totals and facets; a sorted browse (no score) reads as score 0", () => {
			const page = readSearchPage({
				hits: { total: { value: 12 }, hits: [hit("a", 3.5), hit("b", null)] },
				aggregations: {
					category_facet: { doc_count: 12, values: { buckets: [{ key: "c", doc_count: 12 }] } },
					price_facet: {
						doc_count: 12,
						buckets: {
							buckets: [
								{ key: "0.0-1000.0", from: 0, to: 1000, doc_count: 12 },
								{ doc_count: 0 },
								{ doc_count: 0 },
								{ doc_count: 0 },
								{ doc_count: 0 },
							],
						},
					},
				},
			});

			expect(page.total).toBe(12);
			expect(page.items.map((item) => [item.id, item.score])).toEqual([
				["a", 3.5],
				["b", 0],
			]);
			expect(page.items[0]).toEqual({
				id: "a",
				sku: "S-a",
				name: "N a",
				category: "c",
				priceCents: 5,
				currency: "EUR",
				active: true,
				score: 3.5,
			});
			expect(page.facets.category).toEqual([{ value: "c", count: 12 }]);
			expect(page.facets.price[0]).toEqual({ fromCents: 0, toCents: 1_000, count: 12 });
			expect(page.facets.price[4]).toEqual({ fromCents: 10_000, toCents: null, count: 0 });
		});

		it("reports every price bucket at zero when the answer has no aggregations", () => {
			const page = readSearchPage({ hits: { total: 0, hits: [] } });
			expect(page.facets).toEqual({
				category: [],
				price: [
					{ fromCents: 0, toCents: 1_000, count: 0 },
					{ fromCents: 1_000, toCents: 2_500, count: 0 },
					{ fromCents: 2_500, toCents: 5_000, count: 0 },
					{ fromCents: 5_000, toCents: 10_000, count: 0 },
					{ fromCents: 10_000, toCents: null, count: 0 },
				],
			});
		});

		it("reads suggestions as name, id and SKU", () => {
			expect(readSuggestions({ hits: { hits: [hit("a", 1)] } })).toEqual([{ text: "N a", id: "a", sku: "S-a" }]);
		});
	});
});
