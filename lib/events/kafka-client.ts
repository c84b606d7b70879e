import { Kafka, type KafkaConfig } from "kafkajs";
import { fixKafkajsRequestQueue } from "./kafkajs-request-queue-fix";

/**
 * Every kafkajs client of ours (topic provisioning, health probes, tests' admins and producers) is made
 * here, so the request-queue fix is in before its first connection, whichever client connects first
 * (one made before the fix warned TimeoutNegativeWarning once per process and polled every millisecond).
 */
export function newKafka(config: KafkaConfig): Kafka {
	fixKafkajsRequestQueue();
	return new Kafka(config);
}
