/** What a Kafka consumer group has processed, and how topics are laid out, read with kafkajs's admin client. */
import { type Admin, logLevel } from "kafkajs";
import { newKafka } from "../../lib/events/kafka-client";
import { kafkaBrokers } from "../../lib/health/dependency-probes";

/** A connected admin client for `kafkaUrl`; the caller disconnects it. */
export async function kafkaAdmin(kafkaUrl: string): Promise<Admin> {
	const admin = newKafka({
		clientId: "test-admin",
		brokers: kafkaBrokers(kafkaUrl),
		logLevel: logLevel.NOTHING,
	}).admin();
	await admin.connect();
	return admin;
}

/** The consumer group @moleculer/channels' Kafka adapter makes for a channel: `<group>:<topic>`. */
export function channelGroupId(group: string, topic: string): string {
	return `${group}:${topic}`;
}

/** Partitions whose committed offset of `groupId` is behind the end of `topic` ([] when all are processed). */
export async function partitionsBehind(admin: Admin, groupId: string, topic: string): Promise<number[]> {
	const [ends, [committed]] = await Promise.all([
		admin.fetchTopicOffsets(topic),
		admin.fetchOffsets({ groupId, topics: [topic] }),
	]);
	const committedOf = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
	return ends
		.filter((end) => Number(end.high) > 0 && (committedOf.get(end.partition) ?? -1) < Number(end.high))
		.map((end) => end.partition);
}

/** Partition count of each topic named. */
export async function partitionCounts(admin: Admin, topics: string[]): Promise<Record<string, number>> {
	const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
	return Object.fromEntries(metadata.map((t) => [t.name, t.partitions.length]));
}
