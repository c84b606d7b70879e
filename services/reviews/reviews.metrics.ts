import type { MetricDefinition } from "../../mixins/metrics.mixin";

export const REVIEW_METRIC = {
	submitted: "shop_reviews_submitted_total",
	moderated: "shop_reviews_moderated_total",
} as const;

export const reviewsMetrics: MetricDefinition[] = [
	{
		type: "counter",
		name: REVIEW_METRIC.submitted,
		description: "Reviews written or changed by shoppers (each waits for moderation)",
		labelNames: ["kind"],
		zeroSeries: () => [{ kind: "new" }, { kind: "changed" }],
	},
	{
		type: "counter",
		name: REVIEW_METRIC.moderated,
		description: "Moderation decisions, by decision",
		labelNames: ["decision"],
		zeroSeries: () => [{ decision: "APPROVE" }, { decision: "REJECT" }],
	},
];
