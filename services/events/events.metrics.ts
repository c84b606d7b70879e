import { PRODUCED_TOPICS } from "../../lib/events/shop-topics";
import type { MetricDefinition } from "../../mixins/metrics.mixin";

/** The events service's own metrics. */
export const EVENTS_METRIC = {
	deadLetters: "shop_events_dead_letters_total",
} as const;

/**
 * The channel names a dead letter can name (`x-original-channel`): the channels adapter prefixes every topic with
 * the namespace (its default prefix), and every consumed topic is one the shop produces.
 */
export function deadLetterChannels(namespace: string): string[] {
	return PRODUCED_TOPICS.map((topic) => (namespace ? `${namespace}.${topic}` : topic));
}

export function eventsMetrics(namespace: string): MetricDefinition[] {
	return [
		{
			type: "counter",
			name: EVENTS_METRIC.deadLetters,
			description: "Messages moved to the dead-letter topic",
			labelNames: ["channel"],
			// At 0 from the start, so that `increase()` sees a node's first dead letter of each channel.
			zeroSeries: () => deadLetterChannels(namespace).map((channel) => ({ channel })),
		},
	];
}
