import type { Middleware, ServiceBroker } from "moleculer";
import type { AppConfig } from "../../config";
import { kafkaBrokers } from "../health/dependency-probes";
import { provisionTopics } from "./kafka-topic-provisioning";
import { PRODUCED_TOPICS } from "./shop-topics";

/** How long a start waits for Kafka to serve the topics; a broker replaying a large metadata log takes seconds. */
const SERVED_WITHIN_MS = 60_000;

/**
 * Kafka creates a topic lazily on first use, with the broker's default partition count, and a
 * consumer that subscribes before that fails ("This server does not host this topic-partition").
 * Before the channels middleware subscribes (it runs after this one), create every topic the shop
 * uses (those this node's services consume, those any service produces, the dead-letter topic)
 * with EVENTS_KAFKA_PARTITIONS partitions so keys spread over consumers and partitions, and wait
 * until Kafka serves them all.
 */
export function KafkaTopicsMiddleware(config: AppConfig): Middleware {
	let broker: ServiceBroker;
	let stopping = false;
	return {
		name: "KafkaTopics",
		created(b: ServiceBroker) {
			broker = b;
		},
		/**
		 * A consumer group starts a partition it has no committed offset for at the END of the log by
		 * default, and kafkajs decides that again on every (re)join: a group that had not yet consumed
		 * from a partition skips whatever was published there while its consumer was down or
		 * rejoining. From the beginning instead (unless a channel says otherwise): nothing this group
		 * never processed is skipped; consumed partitions resume from their committed offsets.
		 * A group's partitions are handled concurrently (each still in order), not one message at a time
		 * across all of them (kafkajs's default).
		 */
		serviceCreating(_service: unknown, schema: { channels?: Record<string, unknown> }) {
			if (!schema.channels) return;
			schema.channels = Object.fromEntries(
				Object.entries(schema.channels).map(([name, def]) => {
					const channel = (typeof def === "function" ? { handler: def } : def) as { kafka?: object };
					return [
						name,
						{
							...channel,
							kafka: {
								fromBeginning: true,
								partitionsConsumedConcurrently: config.events.kafkaPartitions,
								// How soon a dead node's partitions move to the survivors; heartbeats well inside it.
								sessionTimeout: config.events.kafkaSessionTimeoutMs,
								heartbeatInterval: Math.max(100, Math.floor(config.events.kafkaSessionTimeoutMs / 10)),
								...channel.kafka,
							},
						},
					];
				}),
			);
		},
		async stopping() {
			stopping = true;
		},
		async started() {
			await provisionTopics(topicsOf(broker, config), {
				brokers: kafkaBrokers(config.events.url),
				clientId: `${config.nodeId}-topics`,
				partitions: config.events.kafkaPartitions,
				withinMs: SERVED_WITHIN_MS,
				logger: broker.getLogger("KAFKA-TOPICS"),
				// A node stopped while it waits ends its start instead of waiting on.
				abandoned: () => stopping,
			});
		},
	} as Middleware;
}

/** Every topic name the shop uses, prefixed as the channels adapter prefixes them. */
function topicsOf(broker: ServiceBroker, config: AppConfig): string[] {
	const prefixed = (name: string) => (broker.namespace ? `${broker.namespace}.${name}` : name);
	const topics = new Set([prefixed(config.events.deadLetterTopic), ...PRODUCED_TOPICS.map(prefixed)]);
	for (const service of broker.services) {
		const channels = (service.schema as { channels?: Record<string, { name?: string }> }).channels ?? {};
		// As the channels middleware names them: a channel's own `name` is the topic, as is.
		for (const [name, def] of Object.entries(channels)) topics.add(def?.name ?? prefixed(name));
	}
	return [...topics];
}
