import { removeEventData } from "./event-stores";
import { infra } from "./infra";
import { removeSearchIndexes } from "./search-indexes";
import { ofThisRun } from "./test-namespaces";

/**
 * Removes the topics, streams and keys this run's namespaces left on the shared brokers, so the next
 * start of the local Kafka does not load them (see event-stores.ts). A run that crashes before this
 * leaves them to the next run's set-up, once they are stale.
 */
export default async function globalTeardown(): Promise<void> {
	const removed = await removeEventData(
		{ kafka: infra.kafkaUrl, nats: infra.natsUrl, redis: infra.redisUrl },
		ofThisRun,
	);
	const indexes = await removeSearchIndexes(infra.searchUrl, ofThisRun);
	process.stdout.write(
		`\n[test] removed this run's ${removed.kafkaTopics} Kafka topic(s), ${removed.jetstreamStreams} JetStream stream(s), ${removed.redisKeys} Redis key(s), ${indexes} search index(es)\n`,
	);
}
