import type { SearchPage, SearchQuery } from "../../../services/search/engines/search-engine";
import { evaluateRelevance } from "../../../services/search/relevance/evaluate-relevance";
import type { RelevanceDataset } from "../../../services/search/relevance/relevance-dataset";
import {
	bestSkus,
	dcg,
	type GradedProduct,
	gain,
	ndcg,
	PASS_MIN_NDCG,
	queryPasses,
	reciprocalRank,
} from "../../../services/search/relevance/relevance-metrics";

// Judgements used throughout: A is what the shopper means, B a good alternative, C acceptable.
const expected: GradedProduct[] = [
	{ sku: "A", grade: 3 },
	{ sku: "B", grade: 2 },
	{ sku: "C", grade: 1 },
];
// Ideal DCG for grades 3, 2, 1: 7/log2(2) + 3/log2(3) + 1/log2(4).
const IDEAL = 7 + 3 / Math.log2(3) + 1 / 2;

describe("relevance metrics", () => {
	it("when grades are 0 to 3, then gains are 2^grade - 1", () => {
		expect([0, 1, 2, 3].map(gain)).toEqual([0, 1, 3, 7]);
	});

	it("when grades are ranked 3, 2, 1, then DCG is 7 + 3/log2(3) + 1/2 = 9.3928", () => {
		expect(dcg([3, 2, 1])).toBeCloseTo(9.3928, 4);
		expect(dcg([3, 2, 1])).toBeCloseTo(IDEAL, 10);
	});

	it("when the ranking is ideal, then nDCG is 1", () => {
		expect(ndcg(["A", "B", "C", "X"], expected)).toBeCloseTo(1, 10);
	});

	it("when the alternative comes before the meant product, then nDCG is (3 + 7/log2(3) + 1/2) / ideal", () => {
		expect(ndcg(["B", "A", "C"], expected)).toBeCloseTo((3 + 7 / Math.log2(3) + 0.5) / IDEAL, 10);
		expect(ndcg(["B", "A", "C"], expected)).toBeCloseTo(0.8428, 4);
	});

	it("when the only judged product is second, then nDCG is 1/log2(3) = 0.631; third, 0.5", () => {
		const one: GradedProduct[] = [{ sku: "A", grade: 3 }];
		expect(ndcg(["X", "A"], one)).toBeCloseTo(0.6309, 4);
		expect(ndcg(["X", "Y", "A"], one)).toBeCloseTo(0.5, 10);
	});

	it("when no judged product is returned, then nDCG and the reciprocal rank are 0", () => {
		expect(ndcg(["X", "Y"], expected)).toBe(0);
		expect(reciprocalRank(["X", "Y"], expected)).toBe(0);
		expect(ndcg([], expected)).toBe(0);
	});

	it("when the meant product is 11th, then it is past the cut-off of 10 and counts for nothing", () => {
		const ranked = [...Array.from({ length: 10 }, (_, i) => `X${i}`), "A"];
		expect(ndcg(ranked, [{ sku: "A", grade: 3 }])).toBe(0);
		expect(reciprocalRank(ranked, [{ sku: "A", grade: 3 }])).toBe(0);
	});

	it("when an engine returns the same product twice, then it earns its grade once and nDCG stays at most 1", () => {
		expect(ndcg(["A", "A", "B", "C"], expected)).toBeLessThan(1);
		expect(ndcg(["A", "A", "B", "C"], expected)).toBeCloseTo((7 + 0 + 3 / 2 + 1 / Math.log2(5)) / IDEAL, 10);
	});

	it("when the first judged result is third, then the reciprocal rank is 1/3, whatever its grade", () => {
		expect(reciprocalRank(["X", "Y", "C", "A"], expected)).toBeCloseTo(1 / 3, 10);
		expect(reciprocalRank(["C", "A"], expected)).toBe(1);
	});

	it("when several products share the top grade, then they are all the best", () => {
		expect(
			bestSkus([
				{ sku: "A", grade: 3 },
				{ sku: "B", grade: 2 },
				{ sku: "D", grade: 3 },
			]),
		).toEqual(["A", "D"]);
		expect(bestSkus([{ sku: "B", grade: 2 }])).toEqual(["B"]);
	});
});

describe("the per-query pass rule", () => {
	it("when the meant product is third and nDCG is high enough, then the query passes", () => {
		// (3 + 1/log2(3) + 7/2) / ideal = 0.759
		expect(ndcg(["B", "C", "A"], expected)).toBeGreaterThanOrEqual(PASS_MIN_NDCG);
		expect(queryPasses(["B", "C", "A"], expected, "multi-word")).toBe(true);
	});

	it("when the meant product is fourth, then the query fails even though nDCG is above the bar", () => {
		expect(ndcg(["B", "C", "X", "A"], expected)).toBeGreaterThanOrEqual(PASS_MIN_NDCG);
		expect(queryPasses(["B", "C", "X", "A"], expected, "multi-word")).toBe(false);
	});

	it("when the meant product is in the top 3 but nDCG is below the bar, then the query fails", () => {
		const one: GradedProduct[] = [{ sku: "A", grade: 3 }];
		expect(queryPasses(["X", "Y", "A"], one, "partial")).toBe(false);
		expect(queryPasses(["X", "A"], one, "partial")).toBe(true);
	});

	it("when a SKU lookup puts its product second, then it fails; first, it passes", () => {
		const one: GradedProduct[] = [{ sku: "A", grade: 3 }];
		expect(queryPasses(["X", "A"], one, "sku")).toBe(false);
		expect(queryPasses(["A", "X"], one, "sku")).toBe(true);
	});

	it("when one of two equally meant products is in the top 3, then the best-product condition holds", () => {
		const two: GradedProduct[] = [
			{ sku: "A", grade: 3 },
			{ sku: "D", grade: 3 },
		];
		// D first, A fourth: (7 + 7/log2(5)) / (7 + 7/log2(3)) = 0.877
		expect(queryPasses(["D", "X", "Y", "A"], two, "category-word")).toBe(true);
	});

	it("when the query has no judgements, then it cannot pass", () => {
		expect(queryPasses(["A"], [], "partial")).toBe(false);
	});
});

describe("evaluateRelevance", () => {
	const dataset: RelevanceDataset = {
		curatedAt: "2026-12-06",
		description: "three queries",
		queries: [
			{ query: "headphones", intent: "category-word", expected },
			{ query: "A", intent: "sku", expected: [{ sku: "A", grade: 3 }] },
			{ query: "blendr", intent: "typo", expected: [{ sku: "C", grade: 3 }] },
		],
	};
	// Each query's first page, in the order an engine would rank it.
	const pages: Record<string, string[]> = { headphones: ["A", "B", "C"], A: ["X", "A"], blendr: ["C"] };
	const asked: SearchQuery[] = [];
	const engine = {
		kind: "embedded" as const,
		async search(query: SearchQuery): Promise<SearchPage> {
			asked.push(query);
			const skus = pages[query.q ?? ""] ?? [];
			return {
				items: skus.map((sku, i) => ({
					id: sku,
					sku,
					name: sku,
					category: "audio",
					priceCents: 100,
					currency: "EUR",
					active: true,
					score: 10 - i,
				})),
				total: skus.length,
				facets: { category: [], price: [] },
			};
		},
	};

	it("when run, then each query asks for the first page of 10 active products", async () => {
		asked.length = 0;
		await evaluateRelevance(engine, dataset, { targetPassRate: 0.5 });
		expect(asked).toEqual(dataset.queries.map((q) => ({ q: q.query, activeOnly: true, page: 1, size: 10 })));
	});

	it("when two of three queries pass, then the report has the pass rate, the means and each query's outcome", async () => {
		const report = await evaluateRelevance(engine, dataset, { targetPassRate: 0.9 });
		expect(report).toMatchObject({ engine: "embedded", targetPassRate: 0.9, meetsTarget: false });
		expect(report.passRate).toBeCloseTo(2 / 3, 10);
		// nDCG: 1, 1/log2(3), 1; reciprocal ranks: 1, 1/2, 1
		expect(report.ndcgAt10).toBeCloseTo((2 + 1 / Math.log2(3)) / 3, 10);
		expect(report.mrr).toBeCloseTo(2.5 / 3, 10);
		expect(report.queries[1]).toEqual({
			query: "A",
			intent: "sku",
			passed: false,
			ndcgAt10: 1 / Math.log2(3),
			reciprocalRank: 0.5,
			expected: ["A"],
			top10: ["X", "A"],
		});
		expect(report.queries[0]?.expected).toEqual(["A", "B", "C"]);
	});

	it("when the pass rate reaches the target, then the target is met; a label overrides the engine kind", async () => {
		const report = await evaluateRelevance(engine, dataset, { targetPassRate: 2 / 3, engine: "minisearch" });
		expect(report).toMatchObject({ engine: "minisearch", meetsTarget: true });
	});

	it("when the target is not a share between 0 and 1, then evaluation refuses to run", async () => {
		await expect(evaluateRelevance(engine, dataset, { targetPassRate: 90 })).rejects.toThrow(RangeError);
	});
});
