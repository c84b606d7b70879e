/**
 * Dead letters on real NATS JetStream and Redis Streams keep what an operator needs: messages our consumers
 * cannot handle (bytes that are not JSON, a handler that throws) reach the events service's store with their
 * raw bytes, headers, where they were (the stream sequence, the entry id), the consumer group and the last
 * error; a requeue sends the same bytes and headers to the same channel, for the failing group only. The
 * messages are produced with the brokers' own clients, as a producer outside our services would. (The same
 * over Kafka: dead-letters.kafka.spec.ts.)
 */
import Redis from "ioredis";
import type { ServiceBroker, ServiceSchema } from "moleculer";
import { connect, headers as natsHeaders } from "nats";
import type { AppConfig } from "../../../config";
import { newEvent } from "../../../lib/events/event-envelope";
import type { DeadLetter } from "../../../services/events/dead-letter.repository";
import eventsService from "../../../services/events/events.service";
import { startBroker, testConfig, uniqueId } from "../../support/brokers";
import { type LedgerStats, ledgerService, SALE_MADE, salesService } from "../../support/events/fixtures";
import {
	channelName,
	FlowDb,
	flowEnv,
	settled,
	untilConsuming,
	untilStoringDeadLetters,
	waitFor,
} from "../../support/events/harness";
import { infra } from "../../support/infra";

const MAX_RETRIES = 3;

/** Not JSON, and not even UTF-8: only the bytes themselves can be kept. */
const NOT_JSON = Buffer.from([0x3c, 0x78, 0x6d, 0x6c, 0x3e, 0xff, 0xfe, 0x00, 0x3c, 0x2f]);

/** A second group on the sale channel that takes any bytes: a requeue for the ledger must not reach it. */
function tallyService(got: Buffer[]): ServiceSchema {
	return {
		name: "tally",
		channels: {
			[SALE_MADE]: { group: "tally", rawPayload: true, handler: (bytes: Buffer) => void got.push(bytes) },
		},
	} as unknown as ServiceSchema;
}

/** A producer outside our services, with the broker's own client. */
interface ForeignProducer {
	/** Adds one message to the channel; resolves with its position in the stream, as the store keeps it. */
	produce(channel: string, value: Buffer, headers: Record<string, string>): Promise<string>;
	/** Whether position `a` comes after `b` in the stream. */
	isLater(a: string, b: string): boolean;
	close(): Promise<void>;
}

/** JetStream: the message's sequence in the channel's stream. */
async function jetStreamProducer(): Promise<ForeignProducer> {
	const nats = await connect({ servers: infra.natsUrl, timeout: 5_000 });
	return {
		async produce(subject, value, headers) {
			const h = natsHeaders();
			for (const [name, text] of Object.entries(headers)) h.set(name, text);
			return String((await nats.jetstream().publish(subject, value, { headers: h })).seq);
		},
		isLater: (a, b) => Number(a) > Number(b),
		close: () => nats.close(),
	};
}

/** Redis Streams: the entry id `<ms>-<seq>`, in the channels' entry format (bytes in `payload`, headers as JSON). */
async function redisStreamsProducer(): Promise<ForeignProducer> {
	const redis = new Redis(infra.redisUrl, { maxRetriesPerRequest: 2 });
	const order = (id: string) => id.split("-").map((part) => BigInt(part)) as [bigint, bigint];
	return {
		async produce(stream, value, headers) {
			const id = await redis.xadd(stream, "*", "payload", value, "headers", JSON.stringify(headers));
			if (!id) throw new Error(`no id for the entry added to ${stream}`);
			return id;
		},
		isLater(a, b) {
			const [[aMs, aSeq], [bMs, bSeq]] = [order(a), order(b)];
			return aMs > bMs || (aMs === bMs && aSeq > bSeq);
		},
		close: async () => redis.disconnect(),
	};
}

describe.each([
	["NATS JetStream", () => infra.natsUrl, jetStreamProducer],
	["Redis Streams", () => infra.redisUrl, redisStreamsProducer],
])("dead letters over %s", (_broker, urlOf, producerOf) => {
	const brokers: ServiceBroker[] = [];
	let db: FlowDb | undefined;
	let producer: ForeignProducer;

	afterEach(async () => {
		await producer?.close();
		await Promise.allSettled(brokers.splice(0).map((b) => b.stop()));
		await db?.dropAndClose();
		db = undefined;
	});

	async function setUp() {
		const env = flowEnv(urlOf(), { EVENTS_MAX_RETRIES: String(MAX_RETRIES) });
		db = FlowDb.open(env.DB_NAME_PREFIX as string);
		const config: AppConfig = testConfig({ ...env, NODE_ID: `ledger-${uniqueId()}` });
		const tallied: Buffer[] = [];
		const consumer = await startBroker(config, [
			ledgerService({ rejectNegative: true }),
			eventsService(config),
			tallyService(tallied),
		]);
		brokers.push(consumer);
		const sales = await startBroker(testConfig({ ...env, NODE_ID: `sales-${uniqueId()}` }), [salesService()]);
		brokers.push(sales);
		await untilConsuming(sales, async (id) => (await consumer.call<LedgerStats>("ledger.stats")).probes.includes(id));
		await untilStoringDeadLetters(sales, consumer, config.events.deadLetterTopic);

		producer = await producerOf();
		return { consumer, tallied, channel: channelName(config, SALE_MADE) };
	}

	async function deadLetters(consumer: ServiceBroker, open = true): Promise<DeadLetter[]> {
		return consumer.call<DeadLetter[], object>("events.deadLetters", { open, limit: 1000 });
	}

	function untilDeadLetter(consumer: ServiceBroker, what: string, match: (l: DeadLetter) => boolean) {
		return waitFor(what, async () => (await deadLetters(consumer)).find(match), 45_000, 250);
	}

	it("when a message is not JSON or its handler throws, then its dead letter keeps raw bytes, headers, position, group and error, and a requeue sends the same bytes to that group alone", async () => {
		const { consumer, tallied, channel } = await setUp();
		const trace = `t-garbage-${uniqueId()}`;
		const garbage = await producer.produce(channel, NOT_JSON, { "x-trace": trace, origin: "outsider" });
		const orderId = `poison-${uniqueId()}`;
		const envelope = newEvent(SALE_MADE, orderId, { orderId, amount: -5 }, `corr-${orderId}`);
		const poisonBytes = Buffer.from(JSON.stringify(envelope));
		const poison = await producer.produce(channel, poisonBytes, { eventId: envelope.eventId, origin: "outsider" });

		const garbageLetter = await untilDeadLetter(
			consumer,
			"the non-JSON message's dead letter",
			(l) => l.headers?.["x-trace"] === trace,
		);
		expect(garbageLetter).toMatchObject({
			eventId: null,
			originalChannel: channel,
			originalGroup: "ledger",
			// Neither broker has partitions: the position in the stream names the message.
			originalPartition: null,
			originalOffset: garbage,
			messageKey: null,
			headers: { "x-trace": trace, origin: "outsider" },
			payload: null,
			rawPayloadBase64: NOT_JSON.toString("base64"),
			requeuedAt: null,
		});
		// The deserializer's complaint, not a placeholder.
		expect(garbageLetter.error).toMatch(/JSON/);

		const poisonLetter = await untilDeadLetter(
			consumer,
			"the throwing handler's dead letter",
			(l) => l.eventId === envelope.eventId,
		);
		expect(poisonLetter).toMatchObject({
			originalChannel: channel,
			originalGroup: "ledger",
			originalPartition: null,
			originalOffset: poison,
			headers: { eventId: envelope.eventId, origin: "outsider" },
			payload: JSON.parse(JSON.stringify(envelope)),
			rawPayloadBase64: poisonBytes.toString("base64"),
			error: "ledger rejects negative amount -5",
		});
		// Only what the message carried: the adapters' retry and dead-letter bookkeeping is in the columns.
		for (const letter of [garbageLetter, poisonLetter]) {
			expect(Object.keys(letter.headers ?? {}).filter((h) => h.startsWith("x-") && h !== "x-trace")).toEqual([]);
		}

		// The non-JSON message still fails after a requeue: it comes back as a new dead letter with the same
		// bytes and headers, from a later position in the same stream.
		await consumer.call("events.requeueDeadLetter", { id: garbageLetter.id });
		const again = await untilDeadLetter(
			consumer,
			"the requeued non-JSON message's second dead letter",
			(l) => l.headers?.["x-trace"] === trace && l.id !== garbageLetter.id,
		);
		expect(again).toMatchObject({
			originalChannel: channel,
			originalGroup: "ledger",
			headers: garbageLetter.headers,
			rawPayloadBase64: garbageLetter.rawPayloadBase64,
			error: garbageLetter.error,
		});
		expect(producer.isLater(again.originalOffset ?? "", garbage)).toBe(true);

		// The poison is applied once the consumer is fixed and it is requeued.
		await consumer.call("ledger.rejectNegative", { on: false });
		await consumer.call("events.requeueDeadLetter", { id: poisonLetter.id });
		await waitFor("the requeued poison in the ledger", async () =>
			(await (db as FlowDb).ledgerEventIds()).includes(envelope.eventId) ? true : undefined,
		);
		const requeued = (await deadLetters(consumer, false)).filter((l) => l.requeuedAt !== null).map((l) => l.id);
		expect(requeued.sort()).toEqual([garbageLetter.id, poisonLetter.id].sort());

		// The other group had both messages once, when they were published: the requeues were not for it.
		const tally = await settled(
			async () => tallied.filter((b) => b.equals(NOT_JSON) || b.equals(poisonBytes)).map((b) => b.toString("base64")),
			1000,
		);
		expect(tally.sort()).toEqual([NOT_JSON.toString("base64"), poisonBytes.toString("base64")].sort());
	}, 120_000);
});
