/** The products service's own metrics. */
export const PRODUCTS_METRIC = {
	searchFallbacks: "shop_products_search_fallback_total",
} as const;

export const productsMetrics = [
	{
		type: "counter",
		name: PRODUCTS_METRIC.searchFallbacks,
		description: "Text searches of the catalog SQL answered because search could not, by reason",
		labelNames: ["reason"],
		zeroSeries: () => [{ reason: "unavailable" }, { reason: "unsupported-query" }],
	},
] as const;
