import { datasetHealth } from "../../../services/search/relevance/dataset-health";
import {
	type CatalogFixtureProduct,
	loadCatalogFixture,
	loadRelevanceDataset,
	parseCatalogFixture,
	parseRelevanceDataset,
	QUERY_INTENTS,
	type RelevanceDataset,
} from "../../../services/search/relevance/relevance-dataset";
import { bestSkus } from "../../../services/search/relevance/relevance-metrics";

const fixture = loadCatalogFixture();
const dataset = loadRelevanceDataset();
const bySku = new Map(fixture.map((p) => [p.sku, p]));
const words = (text: string) =>
	text
		.toLowerCase()
		.split(/[^\p{L}\p{N}]+/u)
		.filter(Boolean);
const fixtureWords = new Set(fixture.flatMap((p) => [...words(p.name), ...words(p.description)]));
const queriesOf = (intent: string) => dataset.queries.filter((q) => q.intent === intent);
const product = (sku: string) => bySku.get(sku) as CatalogFixtureProduct;

describe("the catalog fixture", () => {
	it("when loaded, then it holds about 300 products over about 10 categories, about 5% inactive", () => {
		expect(fixture.length).toBeGreaterThanOrEqual(250);
		expect(fixture.length).toBeLessThanOrEqual(350);
		expect(new Set(fixture.map((p) => p.category)).size).toBeGreaterThanOrEqual(8);
		const inactiveShare = fixture.filter((p) => !p.active).length / fixture.length;
		expect(inactiveShare).toBeGreaterThan(0.02);
		expect(inactiveShare).toBeLessThan(0.1);
	});

	it("when loaded, then no SKU and no name appears twice", () => {
		expect(bySku.size).toBe(fixture.length);
		expect(new Set(fixture.map((p) => p.name)).size).toBe(fixture.length);
	});

	it("when a product repeats a SKU, then parsing fails and names the entry", () => {
		const [first, second] = fixture as [CatalogFixtureProduct, CatalogFixtureProduct];
		expect(() => parseCatalogFixture([first, { ...second, sku: first.sku }])).toThrow(
			`products[1] (${first.sku}) repeats a SKU`,
		);
	});

	it("when a product carries an id or a lower-case SKU, then parsing fails and names the entry", () => {
		const [first] = fixture as [CatalogFixtureProduct];
		expect(() => parseCatalogFixture([{ ...first, id: "x" }])).toThrow(
			`products[0] (${first.sku}) has unexpected fields: id`,
		);
		expect(() => parseCatalogFixture([{ ...first, sku: "aud-1" }])).toThrow(
			'products[0].sku must be an upper-case SKU, got "aud-1"',
		);
	});
});

describe("the relevance dataset", () => {
	it("when loaded, then it has 60 to 80 queries and every intent appears at least 5 times", () => {
		expect(dataset.queries.length).toBeGreaterThanOrEqual(60);
		expect(dataset.queries.length).toBeLessThanOrEqual(80);
		for (const intent of QUERY_INTENTS) expect([intent, queriesOf(intent).length >= 5]).toEqual([intent, true]);
	});

	it("when loaded, then no query text appears twice", () => {
		const texts = dataset.queries.map((q) => q.query.toLowerCase());
		expect(new Set(texts).size).toBe(texts.length);
	});

	it("when checked against the fixture, then every judged product exists and is active", () => {
		const missing = dataset.queries.flatMap((q) => q.expected.filter((e) => !bySku.has(e.sku)).map((e) => e.sku));
		const inactive = dataset.queries.flatMap((q) => q.expected.filter((e) => bySku.get(e.sku)?.active === false));
		expect(missing).toEqual([]);
		expect(inactive).toEqual([]);
	});

	it("when checked with today's clock, then it is healthy: not stale, nothing missing or inactive (the CI gate)", async () => {
		const catalogState = async (skus: string[]) =>
			new Map(skus.filter((sku) => bySku.has(sku)).map((sku) => [sku, { active: product(sku).active }]));
		const health = await datasetHealth(dataset, catalogState, { now: new Date() });
		expect(health).toMatchObject({ stale: false, missingProducts: [], inactiveProducts: [], healthy: true });
	});

	it("when a query is a SKU lookup, then its text is the SKU of its one best product, in any case", () => {
		for (const q of queriesOf("sku")) {
			expect([q.query, bestSkus(q.expected)]).toEqual([q.query, [q.query.toUpperCase()]]);
		}
		expect(queriesOf("sku").some((q) => q.query !== q.query.toUpperCase())).toBe(true);
	});

	it("when a query is description-only, then its words are in no product name and in every best product's description", () => {
		for (const q of queriesOf("description-only")) {
			const terms = words(q.query);
			const inNames = fixture.filter((p) => words(p.name).some((w) => terms.includes(w))).map((p) => p.name);
			expect([q.query, inNames]).toEqual([q.query, []]);
			for (const sku of bestSkus(q.expected)) {
				expect([q.query, sku, terms.every((t) => words(product(sku).description).includes(t))]).toEqual([
					q.query,
					sku,
					true,
				]);
			}
		}
	});

	it("when a query is a typo, then at least one of its words is in no product at all", () => {
		for (const q of queriesOf("typo")) {
			expect([q.query, words(q.query).some((w) => !fixtureWords.has(w))]).toEqual([q.query, true]);
		}
	});

	it("when a query is a prefix, then its last word is no whole word of a best product's name but starts one", () => {
		for (const q of queriesOf("prefix")) {
			const last = words(q.query).at(-1) as string;
			for (const sku of bestSkus(q.expected)) {
				const nameWords = words(product(sku).name);
				expect([q.query, sku, nameWords.includes(last), nameWords.some((w) => w.startsWith(last))]).toEqual([
					q.query,
					sku,
					false,
					true,
				]);
			}
		}
	});

	it("when a judgement has a bad grade, then parsing fails and names the query and the entry", () => {
		const bad: RelevanceDataset = structuredClone(dataset);
		(bad.queries[1]!.expected[0] as { grade: number }).grade = 4;
		expect(() => parseRelevanceDataset(bad)).toThrow(
			`queries[1] (${JSON.stringify(dataset.queries[1]!.query)}).expected[0].grade must be 1, 2 or 3, got 4`,
		);
	});

	it("when curatedAt is not a calendar day or an intent is unknown, then parsing fails", () => {
		expect(() => parseRelevanceDataset({ ...dataset, curatedAt: "2026-02-30" })).toThrow("curatedAt must be a day");
		const bad = structuredClone(dataset) as { queries: Array<{ intent: string }> };
		bad.queries[0]!.intent = "synonym";
		expect(() => parseRelevanceDataset(bad)).toThrow("intent must be one of exact-name, partial, typo, sku, ");
	});

	it("when a query judges the same product twice, then parsing fails", () => {
		const bad = structuredClone(dataset);
		const q = bad.queries[0]!;
		q.expected.push({ ...q.expected[0]! });
		expect(() => parseRelevanceDataset(bad)).toThrow(`lists ${q.expected[0]!.sku} twice`);
	});
});
