import {
	type CatalogState,
	DEFAULT_DATASET_MAX_AGE_DAYS,
	datasetHealth,
} from "../../../services/search/relevance/dataset-health";
import type { RelevanceDataset } from "../../../services/search/relevance/relevance-dataset";

const dataset: RelevanceDataset = {
	curatedAt: "2026-06-01",
	description: "two queries sharing a product",
	queries: [
		{
			query: "wireless headphones",
			intent: "multi-word",
			expected: [
				{ sku: "AUD-1", grade: 3 },
				{ sku: "AUD-2", grade: 2 },
			],
		},
		{ query: "AUD-2", intent: "sku", expected: [{ sku: "AUD-2", grade: 3 }] },
		{ query: "candle", intent: "category-word", expected: [{ sku: "HOM-9", grade: 3 }] },
	],
};

/** The catalog as a plain lookup: what it holds, with each product's active flag. */
function catalog(products: Record<string, boolean>): CatalogState & { asked: string[][] } {
	const asked: string[][] = [];
	const state = async (skus: string[]) => {
		asked.push(skus);
		return new Map(skus.filter((sku) => sku in products).map((sku) => [sku, { active: products[sku] as boolean }]));
	};
	return Object.assign(state, { asked });
}

const allActive = { "AUD-1": true, "AUD-2": true, "HOM-9": true };
const daysAfterCuration = (days: number) => new Date(Date.UTC(2026, 5, 1 + days, 15, 30));

describe("dataset health", () => {
	it("when the dataset is recent and every product is live, then it is healthy and counts distinct products", async () => {
		const health = await datasetHealth(dataset, catalog(allActive), { now: daysAfterCuration(10) });
		expect(health).toEqual({
			size: 3,
			expectedProducts: 3,
			curatedAt: "2026-06-01",
			ageDays: 10,
			maxAgeDays: DEFAULT_DATASET_MAX_AGE_DAYS,
			stale: false,
			missingProducts: [],
			inactiveProducts: [],
			healthy: true,
		});
	});

	it("when the catalog is asked, then each judged SKU is asked for once", async () => {
		const state = catalog(allActive);
		await datasetHealth(dataset, state, { now: daysAfterCuration(0) });
		expect(state.asked).toEqual([["AUD-1", "AUD-2", "HOM-9"]]);
	});

	it("when the dataset is exactly the maximum age, then it is not stale; a day later, it is", async () => {
		const atLimit = await datasetHealth(dataset, catalog(allActive), { now: daysAfterCuration(180) });
		expect(atLimit).toMatchObject({ ageDays: 180, stale: false, healthy: true });
		const pastLimit = await datasetHealth(dataset, catalog(allActive), { now: daysAfterCuration(181) });
		expect(pastLimit).toMatchObject({ ageDays: 181, stale: true, healthy: false });
	});

	it("when a shorter maximum age is given, then it is the one applied", async () => {
		const health = await datasetHealth(dataset, catalog(allActive), { now: daysAfterCuration(31), maxAgeDays: 30 });
		expect(health).toMatchObject({ maxAgeDays: 30, stale: true, healthy: false });
	});

	it("when a judged product is no longer in the catalog, then it is reported missing and the dataset unhealthy", async () => {
		const health = await datasetHealth(dataset, catalog({ "AUD-1": true, "AUD-2": true }), {
			now: daysAfterCuration(1),
		});
		expect(health).toMatchObject({ missingProducts: ["HOM-9"], inactiveProducts: [], stale: false, healthy: false });
	});

	it("when a judged product is inactive, then it is reported inactive and the dataset unhealthy", async () => {
		const health = await datasetHealth(dataset, catalog({ ...allActive, "AUD-2": false }), {
			now: daysAfterCuration(1),
		});
		expect(health).toMatchObject({ missingProducts: [], inactiveProducts: ["AUD-2"], healthy: false });
	});
});
