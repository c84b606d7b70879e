import { Partitioners } from "kafkajs";
import type { AppConfig } from "../../config";
import { kafkaBrokers } from "../health/dependency-probes";
import { fixKafkajsRequestQueue } from "./kafkajs-request-queue-fix";
import { registerShopNatsAdapter } from "./nats-adapter";
import { registerShopRedisAdapter } from "./redis-adapter";

/** Which durable-event broker EVENTS_URL names. */
export type EventsBackend = "kafka" | "jetstream" | "redis-streams" | "in-process";

export function eventsBackendOf(url: string): EventsBackend {
	if (!url) return "in-process";
	const scheme = new URL(url).protocol.replace(/:$/, "");
	if (scheme === "kafka") return "kafka";
	if (scheme === "nats") return "jetstream";
	return "redis-streams";
}

/**
 * @moleculer/channels adapter options for EVENTS_URL, with retries and dead-lettering on for every
 * channel. Messages that keep failing go to `<namespace>.<EVENTS_DEAD_LETTER_TOPIC>`.
 */
export function channelsAdapterOptions(config: AppConfig): { type: string; options: Record<string, unknown> } {
	const { url, maxRetries, deadLetterTopic, maxInFlight } = config.events;
	const common = {
		maxRetries,
		maxInFlight,
		deadLettering: { enabled: true, queueName: deadLetterTopic },
	};
	switch (eventsBackendOf(url)) {
		case "kafka":
			// Before any kafkajs client of this node connects (the adapter's, the topic admin's, the health probe's).
			fixKafkajsRequestQueue();
			return {
				type: "ShopKafka",
				options: {
					...common,
					commitIntervalMs: config.events.kafkaCommitIntervalMs,
					kafka: {
						brokers: kafkaBrokers(url),
						clientId: config.nodeId,
						// kafkajs's default since 2.0 (murmur2, as the Java client), named so that kafkajs does not warn
						// on every start that the default changed in 2.0.
						producerOptions: { allowAutoTopicCreation: true, createPartitioner: Partitioners.DefaultPartitioner },
					},
				},
			};
		case "jetstream":
			// The NATS client closes for good after 10 failed reconnects (~20 s): keep trying instead, or an
			// outage longer than that would stop this node's events until it restarts. Without
			// noAsyncTraces every JetStream publish (a request) captures two stack traces up front, in case
			// it times out: the largest single cost of the relay's publishing (bench/EVENTS_RESULTS.md, finding 3).
			// ShopNats: the library's adapter with dead letters that keep what they are for (nats-adapter.ts).
			registerShopNatsAdapter();
			return {
				type: "ShopNats",
				options: { ...common, nats: { url, connectionOptions: { maxReconnectAttempts: -1, noAsyncTraces: true } } },
			};
		case "redis-streams":
			// The Redis adapter retries by re-claiming messages idle longer than minIdleTime (default one
			// hour): keep it short so a failed message is retried within seconds. The adapter reads these
			// from `redis.consumerOptions` (top-level keys are ignored). ShopRedis: the library's adapter with
			// dead letters that keep what they are for (redis-adapter.ts).
			registerShopRedisAdapter();
			return {
				type: "ShopRedis",
				options: { ...common, redis: { url, consumerOptions: { minIdleTime: 1000, claimInterval: 200 } } },
			};
		case "in-process":
			return { type: "InProcess", options: { ...common } };
	}
}
