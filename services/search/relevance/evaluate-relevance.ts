import type { SearchEngine } from "../engines/search-engine";
import type { QueryIntent, RelevanceDataset } from "./relevance-dataset";
import { byGradeDescending, ndcg, queryPasses, RELEVANCE_CUTOFF, reciprocalRank } from "./relevance-metrics";

export {
	type CatalogFixtureProduct,
	fixtureDocuments,
	loadCatalogFixture,
	loadRelevanceDataset,
	type RelevanceDataset,
} from "./relevance-dataset";

/**
 * Runs the curated queries against an engine already holding the catalog fixture and scores its
 * ranking. Only `search` is used, so the same evaluation serves every engine.
 */

export interface QueryOutcome {
	query: string;
	intent: QueryIntent;
	passed: boolean;
	ndcgAt10: number;
	reciprocalRank: number;
	/** The judged SKUs, highest grade first. */
	expected: string[];
	/** The SKUs the engine returned on the first page, in its order. */
	top10: string[];
}

export interface RelevanceReport {
	engine?: string;
	targetPassRate: number;
	/** Passed queries / all queries, 0..1. */
	passRate: number;
	meetsTarget: boolean;
	/** Means over all queries. */
	ndcgAt10: number;
	mrr: number;
	queries: QueryOutcome[];
}

export interface EvaluateOptions {
	/** 0..1: the share of queries that must pass. */
	targetPassRate: number;
	/** A label for the report; defaults to the engine's `kind` when it has one. */
	engine?: string;
}

type SearchableEngine = Pick<SearchEngine, "search"> & Partial<Pick<SearchEngine, "kind">>;

function mean(values: readonly number[]): number {
	return values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
}

async function evaluateQuery(
	engine: SearchableEngine,
	{ query, intent, expected }: RelevanceDataset["queries"][number],
): Promise<QueryOutcome> {
	const page = await engine.search({ q: query, activeOnly: true, page: 1, size: RELEVANCE_CUTOFF });
	const top10 = page.items.slice(0, RELEVANCE_CUTOFF).map((hit) => hit.sku);
	return {
		query,
		intent,
		passed: queryPasses(top10, expected, intent),
		ndcgAt10: ndcg(top10, expected),
		reciprocalRank: reciprocalRank(top10, expected),
		expected: byGradeDescending(expected).map((e) => e.sku),
		top10,
	};
}

export async function evaluateRelevance(
	engine: SearchableEngine,
	dataset: RelevanceDataset,
	options: EvaluateOptions,
): Promise<RelevanceReport> {
	const { targetPassRate } = options;
	if (!(targetPassRate >= 0 && targetPassRate <= 1)) {
		throw new RangeError(`targetPassRate must be between 0 and 1, got ${targetPassRate}`);
	}
	// One query at a time: the figures are about ranking, and a shared 2-core box should not see a burst.
	const queries: QueryOutcome[] = [];
	for (const q of dataset.queries) queries.push(await evaluateQuery(engine, q));

	const passRate = queries.length === 0 ? 0 : queries.filter((q) => q.passed).length / queries.length;
	const engineName = options.engine ?? engine.kind;
	return {
		...(engineName === undefined ? {} : { engine: engineName }),
		targetPassRate,
		passRate,
		meetsTarget: passRate >= targetPassRate,
		ndcgAt10: mean(queries.map((q) => q.ndcgAt10)),
		mrr: mean(queries.map((q) => q.reciprocalRank)),
		queries,
	};
}
