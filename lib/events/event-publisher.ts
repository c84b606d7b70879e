import type * as Constants from "@moleculer/channels/types/src/constants";
import { Errors, type ServiceBroker } from "moleculer";
import type { EventEnvelope } from "./event-envelope";
import { eventsConnectedSinceStart } from "./events-ready";
import type { OutgoingMessage } from "./kafka-adapter";

const C: typeof Constants = require("@moleculer/channels/src/constants");

/** Why an event was not published yet: its node's event adapter has not connected since the node started. */
export const EVENTS_STARTING = "EVENTS_STARTING";

/** Per envelope: undefined when the broker acknowledged it, else why not. */
export type PublishOutcome = Error | undefined;

/** Publishes envelopes (at most one per key: the relay's claim guarantees it) and reports each outcome. */
export type BatchPublisher = (envelopes: readonly EventEnvelope[]) => Promise<PublishOutcome[]>;

interface ChannelAdapter {
	stopping?: boolean;
	addPrefixTopic(topic: string): string;
	publishBatch?(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
}

interface ChannelsBroker {
	channelAdapter?: ChannelAdapter;
	sendToChannel(topic: string, payload: unknown, opts: unknown): Promise<void>;
}

function headersOf(envelope: EventEnvelope): Record<string, string> {
	return { eventId: envelope.eventId, correlationId: envelope.correlationId };
}

/**
 * The relay's way out to the event broker. Adapters that can (Kafka) get one request per topic for the
 * whole batch; the others get all messages at once on their single connection, which keeps publish order.
 * Nothing is sent before the adapter has connected (EVENTS_STARTING, retried by the relay).
 * A stopping adapter is an error here: the channels adapters silently drop what is published while they
 * stop, and the relay would otherwise mark those events published.
 */
export function channelPublisher(broker: ServiceBroker): BatchPublisher {
	const channels = broker as unknown as ChannelsBroker;
	return async (envelopes) => {
		const adapter = channels.channelAdapter;
		if (!eventsConnectedSinceStart(broker)) {
			const err = new Errors.MoleculerRetryableError("The node is starting", 503, EVENTS_STARTING);
			return envelopes.map(() => err);
		}
		if (!adapter || adapter.stopping) {
			const err = new Errors.MoleculerRetryableError("Event broker adapter is stopping", 503, "EVENTS_STOPPING");
			return envelopes.map(() => err);
		}
		if (adapter.publishBatch) return publishByTopic(broker, adapter, envelopes);
		const settled = await Promise.allSettled(
			envelopes.map((e) => channels.sendToChannel(e.type, e, { key: e.key, headers: headersOf(e) })),
		);
		return settled.map((s) => (s.status === "fulfilled" ? undefined : (s.reason as Error)));
	};
}

async function publishByTopic(
	broker: ServiceBroker,
	adapter: ChannelAdapter,
	envelopes: readonly EventEnvelope[],
): Promise<PublishOutcome[]> {
	const byTopic = new Map<string, number[]>();
	envelopes.forEach((e, i) => {
		const list = byTopic.get(e.type) ?? [];
		list.push(i);
		byTopic.set(e.type, list);
	});
	const outcomes: PublishOutcome[] = envelopes.map(() => undefined);
	await Promise.all(
		[...byTopic].map(async ([topic, indexes]) => {
			const messages = indexes.map((i) => {
				const e = envelopes[i] as EventEnvelope;
				return { payload: e, key: e.key, headers: headersOf(e) };
			});
			try {
				await adapter.publishBatch?.(adapter.addPrefixTopic(topic), messages);
				broker.metrics?.increment(C.METRIC_CHANNELS_MESSAGES_SENT, { channel: topic }, messages.length);
			} catch (err) {
				for (const i of indexes) outcomes[i] = err as Error;
			}
		}),
	);
	return outcomes;
}
