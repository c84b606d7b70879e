import type { Context } from "moleculer";
import type { AppConfig } from "../../config";
import { datasetHealth } from "./relevance/dataset-health";
import { evaluateRelevance, loadRelevanceDataset } from "./relevance/evaluate-relevance";
import type { SearchThis } from "./search.service";

/** Products looked up per catalog call (products.getManyBySku's limit). */
const LOOKUP_CHUNK = 100;

/** The catalog's state of these SKUs: which exist, and whether they are for sale. */
async function catalogStateOf(ctx: Context, skus: string[]): Promise<Map<string, { active: boolean }>> {
	const state = new Map<string, { active: boolean }>();
	for (let i = 0; i < skus.length; i += LOOKUP_CHUNK) {
		const products = await ctx.call<Array<{ sku: string; active: boolean }>, { skus: string[] }>(
			"products.getManyBySku",
			{ skus: skus.slice(i, i + LOOKUP_CHUNK) },
		);
		for (const p of products) state.set(p.sku, { active: p.active });
	}
	return state;
}

/**
 * The curated relevance dataset (services/search/relevance/dataset.json), run against the live index,
 * and its health against the live catalog: the reference's relevance endpoints.
 */
export function relevanceActions(config: AppConfig) {
	return {
		/** Pass rate, nDCG@10 and MRR per query and overall, and `meetsTarget` (SEARCH_RELEVANCE_TARGET_PASS_RATE). */
		evaluateRelevance: {
			async handler(this: SearchThis) {
				const dataset = loadRelevanceDataset();
				const report = await this.engineCall("search", () =>
					evaluateRelevance(this.engine, dataset, { targetPassRate: config.search.relevanceTargetPassRate }),
				);
				return { ...report, engine: this.engine.kind };
			},
		},

		/** Size, age and the expected products the catalog no longer has or no longer sells. */
		datasetHealth: {
			handler(this: SearchThis, ctx: Context) {
				return datasetHealth(loadRelevanceDataset(), (skus) => catalogStateOf(ctx, skus), {
					now: new Date(),
					maxAgeDays: config.search.relevanceMaxAgeDays,
				});
			},
		},
	};
}
