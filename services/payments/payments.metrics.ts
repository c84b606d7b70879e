import type { MetricDefinition } from "../../mixins/metrics.mixin";
import type { ProviderOperation } from "./payment-provider";
import { FINAL_STATUSES } from "./payment-status";

const OPERATIONS: readonly ProviderOperation[] = ["createIntent", "capture", "void"];
const perOperation = () => OPERATIONS.map((operation) => ({ operation }));

/** The payments service's business metrics (the reference's names, as Prometheus names). */
export const PAYMENT_METRIC = {
	retries: "payment_provider_retry_total",
	deadLetters: "payment_provider_dlq_total",
	requeues: "payment_provider_requeue_total",
	outageToggles: "payment_provider_outage_toggle_total",
	outcomes: "shop_payments_total",
} as const;

export const paymentsMetrics: MetricDefinition[] = [
	{
		type: "counter",
		name: PAYMENT_METRIC.retries,
		description: "Provider calls tried again after a failure, by operation",
		labelNames: ["operation"],
		zeroSeries: perOperation,
	},
	{
		type: "counter",
		name: PAYMENT_METRIC.deadLetters,
		description: "Provider calls that failed every attempt and went to the dead letters, by operation",
		labelNames: ["operation"],
		zeroSeries: perOperation,
	},
	{
		type: "counter",
		name: PAYMENT_METRIC.requeues,
		description: "Provider dead letters replayed by an operator, by operation and result (resolved, failed)",
		labelNames: ["operation", "result"],
		zeroSeries: () =>
			OPERATIONS.flatMap((operation) => ["resolved", "failed"].map((result) => ({ operation, result }))),
	},
	{
		type: "counter",
		name: PAYMENT_METRIC.outageToggles,
		description: "Outage mode switched by an operator, by the new setting",
		labelNames: ["enabled"],
		zeroSeries: () => [{ enabled: "true" }, { enabled: "false" }],
	},
	{
		type: "counter",
		name: PAYMENT_METRIC.outcomes,
		description: "Payments that reached a final status (CAPTURED, FAILED, VOIDED)",
		labelNames: ["status"],
		zeroSeries: () => FINAL_STATUSES.map((status) => ({ status })),
	},
];
