import { Kafka, logLevel } from "kafkajs";
import type { Middleware, ServiceBroker } from "moleculer";
import type { AppConfig } from "../../config";
import { kafkaBrokers } from "../health/dependency-probes";

const PARTITIONS = 3;

/**
 * Kafka creates a topic lazily on first use, and a consumer that subscribes before that fails
 * ("This server does not host this topic-partition"). Before the channels middleware subscribes
 * (it runs after this one), create every topic this node's services consume, plus the dead-letter
 * topic, with PARTITIONS partitions so keys spread over consumers.
 */
export function KafkaTopicsMiddleware(config: AppConfig): Middleware {
	let broker: ServiceBroker;
	return {
		name: "KafkaTopics",
		created(b: ServiceBroker) {
			broker = b;
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
						topics: missing.map((topic) => ({ topic, numPartitions: PARTITIONS })),
						waitForLeaders: true,
					});
				}
			} finally {
				await admin.disconnect();
			}
		},
	} as Middleware;
}
