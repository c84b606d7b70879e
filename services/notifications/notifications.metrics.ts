import type { MetricDefinition } from "../../mixins/metrics.mixin";
import { TEMPLATES } from "./templates";

const perTemplate = () => Object.values(TEMPLATES).map(({ name }) => ({ template: name }));

/** The reference's counters (sent, failed, dead-letter, requeue), as Prometheus names. */
export const NOTIFICATION_METRIC = {
	sent: "notification_sent_total",
	failed: "notification_failed_total",
	deadLetters: "notification_dlq_total",
	requeues: "notification_requeue_total",
	skipped: "notification_skipped_total",
} as const;

export const notificationsMetrics: MetricDefinition[] = [
	{
		type: "counter",
		name: NOTIFICATION_METRIC.sent,
		description: "Messages the provider accepted, by template",
		labelNames: ["template"],
		zeroSeries: perTemplate,
	},
	{
		type: "counter",
		name: NOTIFICATION_METRIC.failed,
		description: "Delivery attempts that failed and will be tried again, by template",
		labelNames: ["template"],
		zeroSeries: perTemplate,
	},
	{
		type: "counter",
		name: NOTIFICATION_METRIC.deadLetters,
		description: "Messages that failed every attempt and went to the dead letters, by template",
		labelNames: ["template"],
		zeroSeries: perTemplate,
	},
	{
		type: "counter",
		name: NOTIFICATION_METRIC.requeues,
		description: "Dead letters requeued by an operator",
		zeroSeries: () => [{}],
	},
	{
		type: "counter",
		name: NOTIFICATION_METRIC.skipped,
		description: "Messages not sent because the shopper turned order updates off or has no address, by template",
		labelNames: ["template"],
		zeroSeries: perTemplate,
	},
];
