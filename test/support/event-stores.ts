/**
 * Removes what namespaces left on the shared event brokers: Kafka topics, JetStream streams and
 * Redis keys. Every node names these after its namespace (`<ns>.<channel>` topics and stream keys,
 * `<ns>_<channel>` streams, `<ns>:...` keys), and the brokers keep them after the node is gone.
 *
 * Why it matters: a Kafka broker loads every partition it holds before it answers. Tests that never
 * removed their topics had left 8,667 partitions on the local broker, which then took 76 s to start
 * on a quiet machine and over 90 s on a busy one, and CI failed waiting for it.
 */
import Redis from "ioredis";
import { logLevel } from "kafkajs";
import { connect } from "nats";
import { newKafka } from "../../lib/events/kafka-client";

export interface EventStoreUrls {
	kafka: string;
	nats: string;
	redis: string;
}

/** How many topics, streams and keys were removed. */
export interface Removed {
	kafkaTopics: number;
	jetstreamStreams: number;
	redisKeys: number;
}

/** Topics per DeleteTopics request: one request for thousands would outlast its timeout. */
const KAFKA_DELETE_CHUNK = 200;

async function removeKafkaTopics(url: string, matches: (name: string) => boolean): Promise<number> {
	const admin = newKafka({
		clientId: "test-cleanup",
		brokers: [url.replace(/^kafka:\/\//, "")],
		logLevel: logLevel.NOTHING,
	}).admin();
	await admin.connect();
	try {
		const doomed = (await admin.listTopics()).filter(matches);
		for (let i = 0; i < doomed.length; i += KAFKA_DELETE_CHUNK) {
			await admin.deleteTopics({ topics: doomed.slice(i, i + KAFKA_DELETE_CHUNK), timeout: 60_000 });
		}
		// The broker applies deletions after answering; the tests that follow should not race them.
		const deadline = Date.now() + 60_000;
		const gone = new Set(doomed);
		while ((await admin.listTopics()).some((topic) => gone.has(topic))) {
			if (Date.now() > deadline) throw new Error("Kafka still lists deleted topics after 60 s");
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
		return doomed.length;
	} finally {
		await admin.disconnect();
	}
}

async function removeJetStreamStreams(url: string, matches: (name: string) => boolean): Promise<number> {
	const nc = await connect({ servers: url, timeout: 5_000 });
	try {
		const jsm = await nc.jetstreamManager();
		const doomed: string[] = [];
		for await (const stream of jsm.streams.list()) {
			if (matches(stream.config.name)) doomed.push(stream.config.name);
		}
		for (const name of doomed) await jsm.streams.delete(name);
		return doomed.length;
	} finally {
		await nc.close();
	}
}

async function removeRedisKeys(url: string, matches: (name: string) => boolean): Promise<number> {
	const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
	await redis.connect();
	try {
		let removed = 0;
		let cursor = "0";
		do {
			const [next, keys] = await redis.scan(cursor, "COUNT", 1000);
			cursor = next;
			const doomed = keys.filter(matches);
			if (doomed.length > 0) removed += await redis.unlink(...doomed);
		} while (cursor !== "0");
		return removed;
	} finally {
		redis.disconnect();
	}
}

/** Removes every topic, stream and key whose name `matches`, on all three brokers. */
export async function removeEventData(urls: EventStoreUrls, matches: (name: string) => boolean): Promise<Removed> {
	const [kafkaTopics, jetstreamStreams, redisKeys] = await Promise.all([
		removeKafkaTopics(urls.kafka, matches),
		removeJetStreamStreams(urls.nats, matches),
		removeRedisKeys(urls.redis, matches),
	]);
	return { kafkaTopics, jetstreamStreams, redisKeys };
}

/** Matches the names stored under exactly this namespace. */
export function underNamespace(namespace: string): (name: string) => boolean {
	return (name) =>
		name.length > namespace.length && name.startsWith(namespace) && ".:_".includes(name.charAt(namespace.length));
}
