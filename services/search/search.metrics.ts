/** The search service's metrics. */
export const SEARCH_METRIC = {
	indexChanges: "shop_search_index_changes_total",
	engineErrors: "shop_search_engine_errors_total",
	reindexed: "shop_search_reindexed_documents_total",
} as const;

const SOURCES = ["event", "api"] as const;
const OUTCOMES = ["applied", "stale"] as const;

export const searchMetrics = [
	{
		type: "counter",
		name: SEARCH_METRIC.indexChanges,
		description: "Product changes handed to the index, by source and outcome (stale: an older or equal version)",
		labelNames: ["source", "outcome"],
		zeroSeries: () => SOURCES.flatMap((source) => OUTCOMES.map((outcome) => ({ source, outcome }))),
	},
	{
		type: "counter",
		name: SEARCH_METRIC.engineErrors,
		description: "Engine calls that failed (answered 503 SEARCH_UNAVAILABLE, or redelivered for events)",
		labelNames: ["operation"],
		zeroSeries: () => ["search", "autocomplete", "index"].map((operation) => ({ operation })),
	},
	{
		type: "counter",
		name: SEARCH_METRIC.reindexed,
		description: "Products written into rebuilt indexes by reindex jobs",
	},
] as const;
