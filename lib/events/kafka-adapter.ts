/**
 * The @moleculer/channels Kafka adapter with two changes that decide its throughput:
 *
 * - Offsets are committed in the background, at most every `commitIntervalMs` per consumer, instead of one
 *   `commitOffsets` round trip after every message (measured: ~130 messages/s per group, sequential). A
 *   partition's messages are still handled one after another, so committing the latest handled offset later
 *   commits exactly what was handled; a crash or rebalance in between redelivers at most one interval's
 *   messages, which consumers absorb through dedup (they must anyway: delivery is at-least-once).
 * - `publishBatch` sends many messages of one topic in one produce request (the relay publishes a claimed
 *   batch at once instead of one request per event).
 * - A consumer is started and stopped so that a stop at any moment of a start ends, with its partitions
 *   handed back, and a subscription waits (bounded) for a topic Kafka does not serve yet (`subscribe`,
 *   `unsubscribe`; kafka-consumer-lifecycle.ts).
 * - A message its consumer cannot handle (a handler that throws, bytes the deserializer rejects) keeps what an
 *   operator needs: its dead letter carries the error and where the message was first delivered, and a retry
 *   or dead letter that cannot be published is retried, not dropped with its offset committed
 *   (`processMessage`, `moveToDeadLetter`; the messages themselves are built in kafka-failed-message.ts).
 */
import { Adapters } from "@moleculer/channels";
import type * as Constants from "@moleculer/channels/types/src/constants";
import type { Consumer, EachMessagePayload, Message } from "kafkajs";
import { Errors } from "moleculer";
import { retriesExhausted } from "./channel-retries";
import { HEADER_GROUP } from "./dead-letter-headers";
import {
	isRetriableKafkaError,
	leaveIfJoinedWhileClosing,
	noRestartWhen,
	SUBSCRIBE_RETRY_DELAY_MS,
	SUBSCRIBE_RETRY_WITHIN_MS,
	sleep,
} from "./kafka-consumer-lifecycle";
import { attemptsOf, deadLetterMessage, type FailedDelivery, headerText, retryMessage } from "./kafka-failed-message";
import { contentOf } from "./raw-payload-channel";
import { retryWithBackoff } from "./retry-with-backoff";

// The constants module ships without a declaration next to it; its types live under types/.
const C: typeof Constants = require("@moleculer/channels/src/constants");

type KafkaAdapterBase = InstanceType<typeof Adapters.Kafka>;
type KafkaAdapterOptions = ConstructorParameters<typeof Adapters.Kafka>[0];
type Channel = Parameters<KafkaAdapterBase["subscribe"]>[0];

export interface ShopKafkaOptions {
	/** Commit handled offsets at most this often per consumer. */
	commitIntervalMs?: number;
}

/** One message of a batch publish. */
export interface OutgoingMessage {
	payload: unknown;
	key?: string;
	headers?: Record<string, string>;
}

/** Latest handled offset per topic-partition of one consumer, committed on a timer. */
class OffsetCommitter {
	private readonly pending = new Map<string, { topic: string; partition: number; offset: string }>();
	private timer: NodeJS.Timeout | undefined;
	private flushing: Promise<void> = Promise.resolve();

	constructor(
		private readonly consumer: Consumer,
		private readonly intervalMs: number,
		private readonly onError: (err: Error) => void,
	) {}

	/** A partition's messages are handled one after another, so each mark is that partition's latest. */
	mark(topic: string, partition: number, offset: string): void {
		this.pending.set(`${topic}\0${partition}`, { topic, partition, offset });
		this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
	}

	/** Commits what is pending (after any commit already under way). */
	flush(): Promise<void> {
		if (this.timer) clearTimeout(this.timer);
		this.timer = undefined;
		const offsets = [...this.pending.values()];
		this.pending.clear();
		this.flushing = this.flushing.then(async () => {
			if (offsets.length === 0) return;
			try {
				await this.consumer.commitOffsets(offsets);
			} catch (err) {
				// Typically a rebalance took the partitions: their new owner re-reads from the last commit.
				this.onError(err as Error);
			}
		});
		return this.flushing;
	}
}

export class ShopKafkaAdapter extends Adapters.Kafka {
	private readonly commitIntervalMs: number;
	private readonly committers = new WeakMap<Consumer, OffsetCommitter>();
	/** Channels an unsubscribe was asked for: a subscription of theirs still under way gives up. */
	private readonly leaving = new WeakSet<Channel>();
	/** Subscriptions under way, by channel id (settled, never rejected: for `unsubscribe` to wait on). */
	private readonly subscribing = new Map<string, Promise<void>>();

	constructor(opts: KafkaAdapterOptions & ShopKafkaOptions) {
		super(opts);
		this.commitIntervalMs = opts && typeof opts === "object" ? (opts.commitIntervalMs ?? 100) : 100;
	}

	/**
	 * Subscribes once Kafka serves the channel's topic (retrying, bounded, while it says it does not yet),
	 * unless the channel was unsubscribed first: a node stopped while it was starting unsubscribes its
	 * channels before the start got to them (see `unsubscribe`).
	 */
	override async subscribe(chan: Channel & Parameters<KafkaAdapterBase["subscribe"]>[0]): Promise<void> {
		if (this.closing(chan)) return;
		const subscribed = this.subscribeWhenServed(chan);
		const settled = subscribed.catch(() => undefined);
		this.subscribing.set(chan.id, settled);
		try {
			await subscribed;
		} finally {
			this.subscribing.delete(chan.id);
		}
	}

	/**
	 * Waits for a subscription of the channel still under way, then leaves the group. Unsubscribing in
	 * the middle of it would not stop it: its consumer would join after this returned, keep its partitions,
	 * and the adapter's disconnect would wait for its channel forever.
	 */
	override async unsubscribe(chan: Channel): Promise<void> {
		this.leaving.add(chan);
		await this.subscribing.get(chan.id);
		await super.unsubscribe(chan);
	}

	/** The node is stopping, or this channel is being (or was) unsubscribed. */
	private closing(chan: Channel): boolean {
		return this.stopping || Boolean(chan.unsubscribing) || this.leaving.has(chan);
	}

	private async subscribeWhenServed(chan: Channel): Promise<void> {
		// The base prefixes the dead-letter queue name in place: each attempt starts from the original.
		const deadLettering = chan.deadLettering;
		const deadline = Date.now() + SUBSCRIBE_RETRY_WITHIN_MS;
		for (let attempt = 1; ; attempt++) {
			chan.deadLettering = deadLettering;
			chan.kafka = { ...chan.kafka, retry: { ...chan.kafka?.retry, ...noRestartWhen(() => this.closing(chan)) } };
			try {
				await super.subscribe(chan);
				break;
			} catch (err) {
				await this.discardConsumer(chan.id);
				if (this.closing(chan)) return;
				if (!isRetriableKafkaError(err) || Date.now() > deadline) throw err;
				this.logger.warn(
					`Waiting for Kafka to serve '${chan.name}' (${(err as Error).message}); subscribing again in ${SUBSCRIBE_RETRY_DELAY_MS} ms (attempt ${attempt})`,
				);
				await sleep(SUBSCRIBE_RETRY_DELAY_MS);
				if (this.closing(chan)) return;
			}
		}
		const consumer = this.consumers.get(chan.id) as Consumer | undefined;
		if (!consumer) return;
		leaveIfJoinedWhileClosing(consumer, () => this.closing(chan));
		// Whoever disconnects the consumer (unsubscribe, adapter shutdown) commits what was handled first.
		const disconnect = consumer.disconnect.bind(consumer);
		consumer.disconnect = async () => {
			await this.committers.get(consumer)?.flush();
			await disconnect();
		};
		// The adapter began to disconnect while this consumer joined, and no unsubscribe will come for it.
		if (this.stopping && !this.leaving.has(chan)) {
			this.leaving.add(chan);
			await super.unsubscribe(chan);
		}
	}

	/** What a failed subscription left: its consumer (connected, maybe) and its message tracking. */
	private async discardConsumer(channelId: string): Promise<void> {
		const consumer = this.consumers.get(channelId) as Consumer | undefined;
		this.consumers.delete(channelId);
		this.activeMessages.delete(channelId);
		await consumer?.disconnect().catch(() => undefined);
	}

	override async commitOffset(consumer: Consumer, topic: string, partition: number, offset: string): Promise<void> {
		let committer = this.committers.get(consumer);
		if (!committer) {
			committer = new OffsetCommitter(consumer, this.commitIntervalMs, (err) =>
				this.logger.info(`Kafka offset commit skipped (will be redelivered): ${err.message}`),
			);
			this.committers.set(consumer, committer);
		}
		committer.mark(topic, partition, String(offset));
	}

	/**
	 * The library's processMessage, changed where it lost what a dead letter is for: the handler's or the
	 * deserializer's error reaches the dead letter, `rawPayload` channels get the bytes as they are, and the
	 * message stays active (a stopping consumer waits) until its retry or dead letter is out.
	 */
	override async processMessage(chan: Channel, consumer: Consumer, delivery: EachMessagePayload): Promise<void> {
		if (chan.unsubscribing) return;
		const { topic, partition, message } = delivery;
		const next = (BigInt(message.offset) + 1n).toString();
		const addressedTo = headerText(message.headers?.[HEADER_GROUP]);
		if (addressedTo !== undefined && addressedTo !== chan.group) {
			await this.commitOffset(consumer, topic, partition, next);
			return;
		}
		const id = `${partition}:${message.offset}`;
		this.addChannelActiveMessages(chan.id, [id]);
		try {
			const failure = await this.runHandler(chan, message);
			if (failure)
				await this.afterFailure(chan, { channel: chan.name, group: chan.group, partition, message }, failure.error);
			await this.commitOffset(consumer, topic, partition, next);
		} finally {
			this.removeChannelActiveMessages(chan.id, [id]);
		}
	}

	/** Publishes the failed message's dead letter (with `error` in its headers) to the channel's dead-letter topic. */
	override async moveToDeadLetter(
		chan: Channel,
		delivery: Pick<EachMessagePayload, "partition" | "message">,
		error?: unknown,
	): Promise<void> {
		const queue = chan.deadLettering?.queueName as string;
		const failed = { channel: chan.name, group: chan.group, ...delivery };
		await this.publishFailed(chan, queue, deadLetterMessage(failed, error));
		this.metricsIncrement(C.METRIC_CHANNELS_MESSAGES_DEAD_LETTERING_TOTAL, chan);
		this.logger.warn(
			`Moved '${chan.name}' message ${delivery.partition}:${delivery.message.offset} of group '${chan.group}' to '${queue}'`,
		);
	}

	/** Resolves with what the handler (or the deserializer before it) threw, if anything. */
	private async runHandler(
		chan: Channel,
		message: EachMessagePayload["message"],
	): Promise<{ error: unknown } | undefined> {
		try {
			const content = contentOf(chan, message.value, this.serializer);
			await chan.handler(content, message);
			return undefined;
		} catch (error) {
			return { error };
		}
	}

	/** The library's retry policy: a copy for the next attempt, then the dead letter (or nothing) once exhausted. */
	private async afterFailure(chan: Channel, failed: FailedDelivery, error: unknown): Promise<void> {
		this.metricsIncrement(C.METRIC_CHANNELS_MESSAGES_ERRORS_TOTAL, chan);
		const attempts = attemptsOf(failed.message);
		const where = `'${chan.name}' message ${failed.partition}:${failed.message.offset} of group '${chan.group}'`;
		this.logger.warn(`${where} failed (attempt ${attempts}): ${(error as Error)?.message ?? error}`);
		const exhausted = retriesExhausted(chan, attempts);
		if (!exhausted) {
			await this.publishFailed(chan, chan.name, retryMessage(failed, attempts));
			this.metricsIncrement(C.METRIC_CHANNELS_MESSAGES_RETRIES_TOTAL, chan);
		} else if (chan.deadLettering?.enabled) {
			await this.moveToDeadLetter(chan, failed, error);
		} else {
			this.logger.error(`${where} dropped after ${attempts} attempt(s)`, error);
		}
	}

	/**
	 * The library logged and dropped a retry or dead letter it could not publish, and committed the offset past
	 * it: the message was gone. Here it is retried until it is out; a stopping consumer gives up without
	 * committing, so the partition's next owner gets the message again.
	 */
	private async publishFailed(chan: Channel, topic: string, message: Message): Promise<void> {
		await retryWithBackoff(
			async () => {
				if (this.stopping || !this.connected) {
					throw new Errors.MoleculerRetryableError("Kafka adapter is stopping", 503, "EVENTS_NOT_CONNECTED");
				}
				const results = await this.producer.send({ topic, messages: [message] });
				const failed = results.find((r) => r.errorCode !== 0);
				if (results.length === 0 || failed) {
					throw new Errors.MoleculerError(`Unable to publish to '${topic}': error code ${failed?.errorCode ?? "none"}`);
				}
			},
			{
				giveUp: () => chan.unsubscribing || this.stopping,
				onRetry: (err, delayMs) =>
					this.logger.warn(`Could not publish to '${topic}', again in ${delayMs} ms: ${(err as Error).message}`),
			},
		);
	}

	/** Publishes `messages` to `topic` (already prefixed) in one produce request; all or nothing. */
	async publishBatch(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
		if (messages.length === 0) return;
		if (this.stopping || !this.connected) {
			throw new Errors.MoleculerRetryableError("Kafka adapter is not connected", 503, "EVENTS_NOT_CONNECTED");
		}
		const outgoing: Message[] = messages.map((m) => ({
			key: m.key,
			value: this.serializer.serialize(m.payload) as Buffer,
			headers: m.headers,
		}));
		const results = await this.producer.send({ topic, messages: outgoing });
		const failed = results.find((r) => r.errorCode !== 0);
		if (results.length === 0 || failed) {
			throw new Errors.MoleculerError(
				`Unable to publish to '${topic}': error code ${failed?.errorCode ?? "none"}`,
				500,
				"UNABLE_PUBLISH",
			);
		}
	}
}

/** Makes `{ type: "ShopKafka" }` resolvable by the channels middleware. */
export function registerShopKafkaAdapter(): void {
	// The typings declare `register(name, adapter instance)`, but Adapters.resolve instantiates the class.
	Adapters.register("ShopKafka", ShopKafkaAdapter as unknown as InstanceType<typeof Adapters.Base>);
}
