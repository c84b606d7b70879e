import { REASON } from "./order-status";

/** The orders service's business metrics (the reference's names, as Prometheus names). */
export const ORDER_METRIC = {
	sagaTimeouts: "order_saga_timeout_total",
	outboxReplays: "order_outbox_replay_total",
	outboxFailedRecords: "order_outbox_failed_records",
	terminal: "shop_orders_terminal_total",
	completion: "shop_order_completion_ms",
	sagaEvents: "shop_order_saga_events_total",
	admissionRefused: "shop_orders_admission_refused_total",
	lagging: "shop_orders_lagging",
} as const;

export const ordersMetrics = [
	{ type: "counter", name: ORDER_METRIC.sagaTimeouts, description: "Orders ended TIMED_OUT by the timeout sweep" },
	{
		type: "counter",
		name: ORDER_METRIC.outboxReplays,
		description: "FAILED orders outbox events requeued by an operator",
	},
	{ type: "gauge", name: ORDER_METRIC.outboxFailedRecords, description: "Orders outbox events FAILED now" },
	{
		type: "counter",
		name: ORDER_METRIC.terminal,
		description: "Orders that reached a terminal status, by status and reason",
		labelNames: ["status", "reason"],
		// The series OrderSagaTimeoutsHigh divides; a CANCELLED order's reason comes from the event that ended it.
		zeroSeries: () => [
			{ status: "CONFIRMED", reason: "" },
			{ status: "TIMED_OUT", reason: REASON.paymentTimeout },
			{ status: "TIMED_OUT", reason: REASON.stockTimeout },
		],
	},
	{
		type: "histogram",
		name: ORDER_METRIC.completion,
		description: "Order created to terminal status, ms",
		labelNames: ["status"],
		buckets: [50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000],
	},
	{
		type: "counter",
		name: ORDER_METRIC.sagaEvents,
		description: "Saga events handled by orders, by topic and outcome (applied, ignored, duplicate)",
		labelNames: ["topic", "outcome"],
	},
	{
		type: "counter",
		name: ORDER_METRIC.admissionRefused,
		description: "New orders answered 503 CHECKOUT_BUSY because the saga was behind",
	},
	{
		type: "gauge",
		name: ORDER_METRIC.lagging,
		description:
			"Orders waiting for their stock decision longer than ORDER_ADMISSION_MAX_LAG_MS (counted up to ORDER_ADMISSION_MAX_LAGGING)",
	},
] as const;
