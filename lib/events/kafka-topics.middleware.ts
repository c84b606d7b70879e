import { type Admin, Kafka, logLevel } from "kafkajs";
import type { Middleware, ServiceBroker } from "moleculer";
import type { AppConfig } from "../../config";
import { kafkaBrokers } from "../health/dependency-probes";

/**
 * Kafka creates a topic lazily on first use, and a consumer that subscribes before that fails
 * ("This server does not host this topic-partition"). Before the channels middleware subscribes
 * (it runs after this one), create every topic this node's services consume, plus the dead-letter
 * topic, with EVENTS_KAFKA_PARTITIONS partitions so keys spread over consumers and partitions.
 */
export function KafkaTopicsMiddleware(config: AppConfig): Middleware {
	let broker: ServiceBroker;
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
		async started() {
			const prefix = broker.namespace ? `${broker.namespace}.` : "";
			const topics = new Set([`${prefix}${config.events.deadLetterTopic}`]);
			for (const service of broker.services) {
				const channels = (service.schema as { channels?: Record<string, { name?: string }> }).channels ?? {};
				for (const [name, def] of Object.entries(channels)) topics.add(`${prefix}${def?.name ?? name}`);
			}
			const admin = new Kafka({
				clientId: `${config.nodeId}-topics`,
				brokers: kafkaBrokers(config.events.url),
				logLevel: logLevel.NOTHING,
			}).admin();
			await admin.connect();
			try {
				const existing = new Set(await admin.listTopics());
				const missing = [...topics].filter((t) => !existing.has(t));
				if (missing.length > 0) {
					await admin.createTopics({
						topics: missing.map((topic) => ({ topic, numPartitions: config.events.kafkaPartitions })),
						waitForLeaders: true,
					});
					await untilServed(admin, missing);
				}
			} finally {
				await admin.disconnect();
			}
		},
	} as Middleware;
}

/** How long a new topic may take to be served; a broker replaying a large metadata log takes seconds. */
const SERVED_WITHIN_MS = 30_000;

/**
 * `waitForLeaders` waits until the metadata names a leader, but the broker may not host the
 * partition yet: a broker busy applying many metadata records (thousands of topics deleted just
 * before) answered "This server does not host this topic-partition" to the consumers that joined
 * next. Listing every partition's offsets succeeds only once the leader serves it.
 */
async function untilServed(admin: Admin, topics: string[]): Promise<void> {
	const deadline = Date.now() + SERVED_WITHIN_MS;
	for (const topic of topics) {
		for (;;) {
			try {
				await admin.fetchTopicOffsets(topic);
				break;
			} catch (err) {
				if (Date.now() > deadline) throw err;
				await new Promise((resolve) => setTimeout(resolve, 100));
			}
		}
	}
}
