/**
 * An @moleculer/channels adapter for the embedded mode: one process, no Kafka / NATS / Redis. The shipped
 * `Fake` adapter fires Moleculer events and forgets them; this one keeps every message until a consumer group
 * acknowledges it, retries failures with a backoff and dead-letters what keeps failing, so services behave as
 * they do against the real brokers (within the life of the process: nothing is written to disk).
 *
 * Semantics, modelled on the Kafka and JetStream adapters:
 * - Each consumer group of a channel gets every message once. Inside a group, the subscriptions (services of any
 *   broker in this process) take turns, round robin among those with a free `maxInFlight` slot.
 * - Groups are durable for the life of the process: a group whose subscribers all stopped keeps collecting
 *   messages and receives them when a subscriber comes back.
 * - Messages published to a channel that never had a group wait in the channel's backlog and go to the first
 *   group that subscribes; groups that subscribe later start with the messages published after them ("new").
 * - `maxRetries` counts handler attempts, as in the other adapters: a message is handled at most
 *   `max(maxRetries, 1)` times (a negative value retries forever). A message waiting for its retry keeps its
 *   `maxInFlight` slot. Then it goes to the dead-letter channel when dead-lettering is on, or is dropped.
 * - Order: messages with the same `opts.key` reach a group in publish order, one at a time, retries included.
 *   Messages without a key are handed out in publish order, so a group with a single subscription and
 *   `maxInFlight` 1 (the default) sees the channel in FIFO order.
 * - Dead letters carry the error (`x-error-*` headers, lib/events/dead-letter-headers.ts); a message whose
 *   `x-group` header names a group (a requeue) reaches only that group; `rawPayload` channels get the bytes.
 */
import { Adapters } from "@moleculer/channels";
import type * as Constants from "@moleculer/channels/types/src/constants";
import { Errors } from "moleculer";
import { errorHeaders, HEADER_GROUP } from "./dead-letter-headers";
import { wantsRawPayload } from "./raw-payload-channel";

// The constants module ships without a declaration next to it; its types live under types/.
const C: typeof Constants = require("@moleculer/channels/src/constants");

type BaseAdapter = InstanceType<typeof Adapters.Base>;
type Channel = Parameters<BaseAdapter["subscribe"]>[0];
type BaseOptions = BaseAdapter["opts"];

export interface InProcessAdapterOptions extends BaseOptions {
	/** Delay before the first retry; it doubles on every further failure. */
	retryDelayMs: number;
	/** Cap of the retry delay. */
	maxRetryDelayMs: number;
}

export type MessageHeaders = Record<string, unknown>;

/** The second argument of channel handlers (the "raw" message), like the Redis adapter's `{ payload, headers }`. */
export interface InProcessMessage {
	payload: unknown;
	headers: MessageHeaders;
	/** The publisher's `opts.key`, as a string. */
	key: string | undefined;
	/** Publish sequence number, unique in the process. */
	seq: number;
	/** Failed attempts before this one. */
	redeliveryCount: number;
}

interface PublishOptions {
	headers?: MessageHeaders;
	/** Messages with the same key are handled in publish order by each group. */
	key?: unknown;
	/** The payload is the message's bytes already (a Buffer): stored as they are, not serialized. */
	raw?: boolean;
}

interface StoredMessage {
	readonly seq: number;
	readonly key: string | undefined;
	/** Serialized payload: every delivery deserializes its own copy. */
	readonly data: Buffer;
	readonly headers: MessageHeaders;
}

/** One message on its way through one consumer group. */
interface Delivery {
	readonly message: StoredMessage;
	failures: number;
}

interface Consumer {
	hasFreeSlot(): boolean;
	accept(delivery: Delivery): void;
}

/** The messages of one channel for one consumer group, and the subscriptions that share them. */
class ConsumerGroup {
	private readonly pending: Delivery[] = [];
	private readonly consumers: Consumer[] = [];
	/** Keys with a message in flight: later messages with the same key wait, for per-key order. */
	private readonly busyKeys = new Set<string>();
	private cursor = 0;
	private dispatchQueued = false;

	join(consumer: Consumer): void {
		this.consumers.push(consumer);
		this.scheduleDispatch();
	}

	leave(consumer: Consumer): void {
		const index = this.consumers.indexOf(consumer);
		if (index >= 0) this.consumers.splice(index, 1);
	}

	enqueue(message: StoredMessage): void {
		this.pending.push({ message, failures: 0 });
		this.scheduleDispatch();
	}

	/** The delivery is done with (acked, dead-lettered or dropped): its key and slot are free again. */
	settle(delivery: Delivery): void {
		if (delivery.message.key !== undefined) this.busyKeys.delete(delivery.message.key);
		this.scheduleDispatch();
	}

	/** A leaving subscription did not finish the delivery: back in line, ahead of newer messages. */
	giveBack(delivery: Delivery): void {
		const at = this.pending.findIndex((other) => other.message.seq > delivery.message.seq);
		this.pending.splice(at < 0 ? this.pending.length : at, 0, delivery);
		this.settle(delivery);
	}

	private scheduleDispatch(): void {
		if (this.dispatchQueued) return;
		this.dispatchQueued = true;
		// Outside the caller's stack: publishers never run handlers synchronously, and one pass serves a burst.
		queueMicrotask(() => {
			this.dispatchQueued = false;
			this.dispatch();
		});
	}

	private dispatch(): void {
		let index = 0;
		while (index < this.pending.length) {
			const delivery = this.pending[index]!;
			const { key } = delivery.message;
			if (key !== undefined && this.busyKeys.has(key)) {
				index++;
				continue;
			}
			const consumer = this.nextConsumerWithFreeSlot();
			if (!consumer) return;
			this.pending.splice(index, 1);
			if (key !== undefined) this.busyKeys.add(key);
			consumer.accept(delivery);
		}
	}

	private nextConsumerWithFreeSlot(): Consumer | undefined {
		for (let step = 0; step < this.consumers.length; step++) {
			const consumer = this.consumers[(this.cursor + step) % this.consumers.length]!;
			if (consumer.hasFreeSlot()) {
				this.cursor = (this.cursor + step + 1) % this.consumers.length;
				return consumer;
			}
		}
		return undefined;
	}
}

interface ChannelQueue {
	/** Messages published before the channel had any group. */
	backlog: StoredMessage[];
	groups: Map<string, ConsumerGroup>;
}

/** Shared by every adapter instance of the process, so brokers in one process see the same channels. */
class InProcessBus {
	private readonly channels = new Map<string, ChannelQueue>();
	private lastSeq = 0;

	publish(channelName: string, data: Buffer, headers: MessageHeaders, key: string | undefined): void {
		const message: StoredMessage = { seq: ++this.lastSeq, key, data, headers };
		const channel = this.channel(channelName);
		if (channel.groups.size === 0) channel.backlog.push(message);
		for (const group of channel.groups.values()) group.enqueue(message);
	}

	group(channelName: string, groupName: string): ConsumerGroup {
		const channel = this.channel(channelName);
		let group = channel.groups.get(groupName);
		if (!group) {
			group = new ConsumerGroup();
			channel.groups.set(groupName, group);
			for (const message of channel.backlog.splice(0)) group.enqueue(message);
		}
		return group;
	}

	private channel(name: string): ChannelQueue {
		let channel = this.channels.get(name);
		if (!channel) {
			channel = { backlog: [], groups: new Map() };
			this.channels.set(name, channel);
		}
		return channel;
	}
}

const processBus = new InProcessBus();

/** One service's subscription to one channel: a consumer of the channel's group. */
class Subscription implements Consumer {
	inFlight = 0;
	stopping: Promise<void> | undefined;
	readonly retryTimers = new Map<Delivery, NodeJS.Timeout>();
	/** Handler calls not yet settled, awaited by a graceful unsubscribe. */
	readonly running = new Set<Promise<void>>();

	constructor(
		readonly chan: Channel,
		readonly group: ConsumerGroup,
		readonly deadLetterChannel: string | undefined,
		private readonly onDelivery: (subscription: Subscription, delivery: Delivery) => void,
	) {}

	hasFreeSlot(): boolean {
		return this.stopping === undefined && this.inFlight < (this.chan.maxInFlight ?? 1);
	}

	accept(delivery: Delivery): void {
		this.onDelivery(this, delivery);
	}
}

type ChannelHandler = (payload: unknown, raw: InProcessMessage) => Promise<unknown>;

export class InProcessAdapter extends Adapters.Base {
	declare opts: InProcessAdapterOptions;
	private readonly subscriptions = new Map<string, Subscription>();

	constructor(opts?: Partial<InProcessAdapterOptions> | string) {
		// Adapters.resolve passes a string only for URLs of other adapters; nothing here needs one.
		super(typeof opts === "object" ? opts : {});
		this.opts.retryDelayMs ??= 100;
		this.opts.maxRetryDelayMs ??= 5_000;
	}

	override async connect(): Promise<void> {
		this.connected = true;
	}

	override async disconnect(): Promise<void> {
		// The channels middleware unsubscribes every service before; this only covers direct use.
		await Promise.all([...this.subscriptions.values()].map((subscription) => this.unsubscribe(subscription.chan)));
		this.connected = false;
	}

	override async subscribe(chan: Channel): Promise<void> {
		chan.maxInFlight ??= this.opts.maxInFlight;
		chan.maxRetries ??= this.opts.maxRetries;
		// Prefixed like the other adapters do, but kept on the subscription rather than written back into
		// `chan`, so subscribing the same channel object again cannot prefix it twice.
		chan.deadLettering = { ...this.opts.deadLettering, ...chan.deadLettering };
		const deadLetterChannel = chan.deadLettering.enabled
			? this.addPrefixTopic(chan.deadLettering.queueName)
			: undefined;

		this.logger.debug(`Subscribing to '${chan.name}' channel with '${chan.group}' group...`, chan.id);
		this.initChannelActiveMessages(chan.id);
		const subscription = new Subscription(
			chan,
			processBus.group(chan.name, chan.group),
			deadLetterChannel,
			(sub, delivery) => this.deliver(sub, delivery),
		);
		this.subscriptions.set(chan.id, subscription);
		subscription.group.join(subscription);
	}

	override async unsubscribe(chan: Channel): Promise<void> {
		const subscription = this.subscriptions.get(chan.id);
		if (!subscription) return;
		chan.unsubscribing = true;
		subscription.stopping ??= this.stop(subscription);
		await subscription.stopping;
	}

	override async publish(channelName: string, payload: unknown, opts?: PublishOptions | null): Promise<void> {
		if (!this.connected) {
			throw new Errors.MoleculerRetryableError("Adapter not yet connected. Skipping publishing.");
		}
		const key = opts?.key == null ? undefined : String(opts.key);
		const data = opts?.raw
			? Buffer.from(payload as Uint8Array)
			: this.serializer.serialize(payload as Record<string, unknown>);
		processBus.publish(channelName, data, { ...opts?.headers }, key);
		this.logger.debug(`Message was published at '${channelName}'`);
	}

	private async stop(subscription: Subscription): Promise<void> {
		const { chan } = subscription;
		this.logger.debug(`Unsubscribing from '${chan.name}' channel with '${chan.group}' group...`);
		subscription.group.leave(subscription);
		// Messages waiting for a retry are not being handled: other subscribers of the group (or this one
		// when it comes back) take them over instead of the shutdown waiting out the backoff.
		for (const [delivery, timer] of subscription.retryTimers) {
			clearTimeout(timer);
			this.giveBack(subscription, delivery);
		}
		subscription.retryTimers.clear();
		// Graceful shutdown: handlers already running finish and settle their messages first.
		while (subscription.running.size > 0) await Promise.allSettled([...subscription.running]);
		this.stopChannelActiveMessages(chan.id);
		this.subscriptions.delete(chan.id);
	}

	private deliver(subscription: Subscription, delivery: Delivery): void {
		subscription.inFlight++;
		this.addChannelActiveMessages(subscription.chan.id, [delivery.message.seq]);
		this.runHandler(subscription, delivery);
	}

	private runHandler(subscription: Subscription, delivery: Delivery): void {
		const run = this.handle(subscription, delivery).finally(() => subscription.running.delete(run));
		subscription.running.add(run);
	}

	/** Never rejects: every outcome settles the delivery, schedules a retry or gives it back. */
	private async handle(subscription: Subscription, delivery: Delivery): Promise<void> {
		const { chan } = subscription;
		const { message } = delivery;
		const headers: MessageHeaders = { ...message.headers };
		if (delivery.failures > 0) headers[C.HEADER_REDELIVERED_COUNT] = String(delivery.failures);
		const addressedTo = headers[HEADER_GROUP];
		if (addressedTo !== undefined && addressedTo !== chan.group) {
			this.settle(subscription, delivery);
			return;
		}
		try {
			// A fresh copy per delivery: a handler mutating it affects neither other groups nor its own retries.
			const payload: unknown = wantsRawPayload(chan)
				? Buffer.from(message.data)
				: this.serializer.deserialize(message.data);
			const raw: InProcessMessage = {
				payload,
				headers,
				key: message.key,
				seq: message.seq,
				redeliveryCount: delivery.failures,
			};
			await (chan.handler as ChannelHandler)(payload, raw);
		} catch (error) {
			this.onHandlerError(subscription, delivery, error);
			return;
		}
		this.settle(subscription, delivery);
	}

	private onHandlerError(subscription: Subscription, delivery: Delivery, error: unknown): void {
		const { chan } = subscription;
		this.metricsIncrement(C.METRIC_CHANNELS_MESSAGES_ERRORS_TOTAL, chan);
		delivery.failures++;
		const { seq } = delivery.message;
		const exhausted = chan.maxRetries >= 0 && delivery.failures >= chan.maxRetries;
		if (!exhausted) {
			this.metricsIncrement(C.METRIC_CHANNELS_MESSAGES_RETRIES_TOTAL, chan);
			if (subscription.stopping) {
				this.giveBack(subscription, delivery);
				return;
			}
			const delayMs = Math.min(this.opts.retryDelayMs * 2 ** (delivery.failures - 1), this.opts.maxRetryDelayMs);
			this.logger.warn(`Message ${seq} of '${chan.name}' failed (${delivery.failures}), retry in ${delayMs} ms`);
			const timer = setTimeout(() => {
				subscription.retryTimers.delete(delivery);
				this.runHandler(subscription, delivery);
			}, delayMs);
			// Unsubscribe clears it; it must not keep an otherwise finished process alive either.
			timer.unref();
			subscription.retryTimers.set(delivery, timer);
			return;
		}
		if (subscription.deadLetterChannel) {
			this.moveToDeadLetter(subscription, subscription.deadLetterChannel, delivery, error);
		} else {
			this.logger.error(`Message ${seq} of '${chan.name}' failed ${delivery.failures} time(s), dropped`, error);
		}
		this.settle(subscription, delivery);
	}

	private moveToDeadLetter(subscription: Subscription, deadLetterChannel: string, delivery: Delivery, error: unknown) {
		const { chan } = subscription;
		const { message } = delivery;
		// A requeue's group address would hide the dead letter from the store's group.
		const { [HEADER_GROUP]: _addressedTo, ...own } = message.headers;
		const headers: MessageHeaders = {
			...own,
			[C.HEADER_ORIGINAL_CHANNEL]: chan.name,
			[C.HEADER_ORIGINAL_GROUP]: chan.group,
			...errorHeaders(error),
		};
		// The stored bytes as they are, like the Kafka and NATS adapters publishing with `raw: true`.
		processBus.publish(deadLetterChannel, message.data, headers, message.key);
		this.metricsIncrement(C.METRIC_CHANNELS_MESSAGES_DEAD_LETTERING_TOTAL, chan);
		this.logger.warn(`Moved message ${message.seq} of '${chan.name}' to '${deadLetterChannel}'`);
	}

	/** Acked, dead-lettered or dropped. */
	private settle(subscription: Subscription, delivery: Delivery): void {
		this.release(subscription, delivery);
		subscription.group.settle(delivery);
	}

	private giveBack(subscription: Subscription, delivery: Delivery): void {
		this.release(subscription, delivery);
		subscription.group.giveBack(delivery);
	}

	private release(subscription: Subscription, delivery: Delivery): void {
		subscription.inFlight--;
		this.removeChannelActiveMessages(subscription.chan.id, [delivery.message.seq]);
	}
}

/** Makes `{ type: "InProcess" }` resolvable by the channels middleware. Safe to call more than once. */
export function registerInProcessAdapter(): void {
	// The typings declare `register(name, adapter instance)`, but Adapters.resolve instantiates the class.
	Adapters.register("InProcess", InProcessAdapter as unknown as BaseAdapter);
}
