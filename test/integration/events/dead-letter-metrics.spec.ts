/**
 * `shop_events_dead_letters_total{channel}` exists at 0 for every channel the shop produces from the node's start,
 * under the very label a dead letter later counts with: `increase()` sees the first dead letter of a new node.
 */
import type { ServiceBroker, ServiceSchema } from "moleculer";
import { TOPIC } from "../../../lib/events/checkout-topics";
import { PRODUCED_TOPICS } from "../../../lib/events/shop-topics";
import { EVENTS_METRIC } from "../../../services/events/events.metrics";
import eventsService from "../../../services/events/events.service";
import { startBroker, testConfig, uniqueId } from "../../support/brokers";
import { waitFor } from "../../support/events/harness";
import { METRICS_ON, samplesOf, scrapeMetrics } from "../../support/metrics";

interface Adapter {
	publish(channel: string, payload: unknown, opts: unknown): Promise<void>;
}

/** Fails every `order.cancelled.v1`, so each one is dead-lettered. */
const refusingConsumer = {
	name: "refusing",
	channels: {
		[TOPIC.orderCancelled]: {
			group: "refusing",
			handler() {
				throw new Error("refuses every cancellation");
			},
		},
	},
} as unknown as ServiceSchema;

describe("dead-letter counter", () => {
	let broker: ServiceBroker | undefined;

	afterEach(async () => {
		await broker?.stop();
		broker = undefined;
	});

	it("when the events service has just started, then the counter is 0 for every produced channel, and the first dead letter makes one of them 1", async () => {
		const config = testConfig({
			...METRICS_ON,
			NODE_ID: `dlq-metrics-${uniqueId()}`,
			EVENTS_MAX_RETRIES: "1",
			LOG_LEVEL: "fatal",
		});
		broker = await startBroker(config, [eventsService(config), refusingConsumer]);
		const channelCounts = async () =>
			new Map(
				samplesOf(await scrapeMetrics(broker as ServiceBroker), EVENTS_METRIC.deadLetters).map((s) => [
					s.labels.channel,
					s.value,
				]),
			);

		const atStart = await channelCounts();
		const expected = PRODUCED_TOPICS.map((topic) => [`${config.namespace}.${topic}`, 0] as const);
		expect([...atStart].sort()).toEqual([...expected].sort());

		const cancelled = `${config.namespace}.${TOPIC.orderCancelled}`;
		const adapter = (broker as unknown as { channelAdapter: Adapter }).channelAdapter;
		await adapter.publish(cancelled, { orderId: `o-${uniqueId()}` }, { key: "k" });
		const after = await waitFor("the dead letter counted", async () => {
			const counts = await channelCounts();
			return counts.get(cancelled) === 1 ? counts : undefined;
		});
		// Counted on the zero series itself: no new series appeared for the same channel.
		expect(after.size).toBe(expected.length);
	});
});
