import type { RelevanceDataset } from "./relevance-dataset";

/**
 * Whether the relevance dataset still describes the catalog it is run against: judgements age as
 * products come and go, and a judged product that is gone or inactive makes every engine look
 * worse for a reason that has nothing to do with ranking.
 */

/** About two catalog seasons: long enough to avoid busywork, short enough that judgements follow the range. */
export const DEFAULT_DATASET_MAX_AGE_DAYS = 180;

const DAY_MS = 24 * 60 * 60 * 1000;

/** What the catalog knows of each SKU it holds; SKUs it does not hold are left out of the map. */
export type CatalogState = (skus: string[]) => Promise<Map<string, { active: boolean }>>;

export interface DatasetHealthOptions {
	now?: Date;
	maxAgeDays?: number;
}

export interface DatasetHealth {
	/** Number of queries. */
	size: number;
	/** Distinct judged SKUs. */
	expectedProducts: number;
	curatedAt: string;
	/** Whole days since curatedAt (UTC midnight), negative if curatedAt is in the future. */
	ageDays: number;
	maxAgeDays: number;
	stale: boolean;
	missingProducts: string[];
	inactiveProducts: string[];
	healthy: boolean;
}

export async function datasetHealth(
	dataset: RelevanceDataset,
	catalogState: CatalogState,
	{ now = new Date(), maxAgeDays = DEFAULT_DATASET_MAX_AGE_DAYS }: DatasetHealthOptions = {},
): Promise<DatasetHealth> {
	const skus = [...new Set(dataset.queries.flatMap((q) => q.expected.map((e) => e.sku)))].sort();
	const state = await catalogState(skus);
	const missingProducts = skus.filter((sku) => !state.has(sku));
	const inactiveProducts = skus.filter((sku) => state.get(sku)?.active === false);

	const curatedAtMs = Date.parse(`${dataset.curatedAt}T00:00:00Z`);
	if (Number.isNaN(curatedAtMs)) throw new RangeError(`curatedAt is not a day: ${dataset.curatedAt}`);
	const ageDays = Math.floor((now.getTime() - curatedAtMs) / DAY_MS);
	const stale = ageDays > maxAgeDays;

	return {
		size: dataset.queries.length,
		expectedProducts: skus.length,
		curatedAt: dataset.curatedAt,
		ageDays,
		maxAgeDays,
		stale,
		missingProducts,
		inactiveProducts,
		healthy: !stale && missingProducts.length === 0 && inactiveProducts.length === 0,
	};
}
