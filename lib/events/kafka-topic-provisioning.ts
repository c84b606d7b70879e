import { type Admin, logLevel } from "kafkajs";
import { newKafka } from "./kafka-client";

export interface TopicProvisioning {
	brokers: string[];
	clientId: string;
	/** Partitions of the topics created (EVENTS_KAFKA_PARTITIONS). */
	partitions: number;
	/** How long to keep trying before the start fails. */
	withinMs: number;
	logger: { info(message: string): void; warn(message: string): void };
	/** True once the node is stopping: give up quietly. */
	abandoned(): boolean;
}

/** Wait between two attempts. */
const RETRY_DELAY_MS = 1_000;

/** A topic Kafka lists (or just created) but does not serve yet, and why. */
interface Unserved {
	topic: string;
	error: string;
}

/**
 * Creates the topics Kafka does not have, with `partitions` partitions each, and returns once Kafka
 * serves every one of them. Until then it logs what it waits for and tries again, for `withinMs`:
 * on a fresh broker, or while other nodes create the same topics, a topic can be listed (or its
 * creation acknowledged, leaders named) before its broker hosts it, and a consumer that joins in
 * between fails with "This server does not host this topic-partition".
 */
export async function provisionTopics(topics: readonly string[], opts: TopicProvisioning): Promise<void> {
	const kafka = newKafka({ clientId: opts.clientId, brokers: opts.brokers, logLevel: logLevel.NOTHING });
	const deadline = Date.now() + opts.withinMs;
	for (let attempt = 1; ; attempt++) {
		// A new client each time: kafkajs keeps asking for the metadata of every topic a client touched,
		// and one deleted meanwhile would fail each later attempt ("does not host this topic-partition").
		const admin = kafka.admin();
		let waitingFor: string;
		try {
			await admin.connect();
			const unserved = await createAndServe(admin, topics, opts.partitions);
			if (unserved.length === 0) {
				// Only advice: a failure to read it must not fail the start.
				await warnOfFewerPartitions(admin, topics, opts).catch(() => undefined);
				return;
			}
			waitingFor = `${unserved.length} of ${topics.length} topic(s) to be served (${describe(unserved)})`;
		} catch (err) {
			waitingFor = `its topics to be created (${(err as Error).message})`;
		} finally {
			await admin.disconnect().catch(() => undefined);
		}
		if (opts.abandoned()) return;
		if (Date.now() > deadline) {
			throw new Error(
				`Kafka did not serve the shop's topics within ${opts.withinMs / 1000} s: waited for ${waitingFor}`,
			);
		}
		opts.logger.warn(`Waiting for Kafka: ${waitingFor}; trying again in 1 s (attempt ${attempt})`);
		await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
		if (opts.abandoned()) return;
	}
}

async function createAndServe(admin: Admin, topics: readonly string[], partitions: number): Promise<Unserved[]> {
	const existing = new Set(await admin.listTopics());
	const missing = topics.filter((topic) => !existing.has(topic));
	if (missing.length > 0) {
		// Another node creating the same topics meanwhile is fine: kafkajs takes "already exists" as done.
		await admin.createTopics({
			topics: missing.map((topic) => ({ topic, numPartitions: partitions })),
			waitForLeaders: true,
		});
	}
	// Listing every partition's offsets succeeds only once its leader hosts it.
	const served = await Promise.allSettled(topics.map((topic) => admin.fetchTopicOffsets(topic)));
	return served.flatMap((result, i) =>
		result.status === "rejected" ? [{ topic: topics[i] as string, error: (result.reason as Error).message }] : [],
	);
}

function describe(unserved: readonly Unserved[]): string {
	const first = unserved[0] as Unserved;
	const more = unserved.length > 1 ? ` and ${unserved.length - 1} more` : "";
	return `${first.topic}${more}: ${first.error}`;
}

/**
 * A topic made before (by Kafka on first use, with the broker's default) may have fewer partitions:
 * a group then consumes it with at most that many consumers. Adding partitions moves keys to other
 * partitions, which reorders one order's events still in flight: an operator's decision, not ours.
 */
async function warnOfFewerPartitions(admin: Admin, topics: readonly string[], opts: TopicProvisioning): Promise<void> {
	const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
	const fewer = metadata.filter((t) => t.partitions.length < opts.partitions);
	if (fewer.length === 0) return;
	opts.logger.warn(
		`Kafka topic(s) with fewer partitions than EVENTS_KAFKA_PARTITIONS=${opts.partitions}: ` +
			`${fewer.map((t) => `${t.name} (${t.partitions.length})`).join(", ")}. A consumer group spreads over at most ` +
			"that many consumers; add partitions (kafka-topics.sh --alter) while no events are in flight.",
	);
}
