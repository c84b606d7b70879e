/**
 * Dead letters on real Kafka keep what an operator needs: messages our consumers cannot handle (bytes
 * that are not JSON, a handler that throws) reach the events service's store with their raw bytes, key,
 * headers, where they were (topic, partition, offset), the consumer group and the last error; a requeue
 * republishes the same bytes, key and headers to the same topic. The messages are produced with kafkajs
 * directly, as a producer outside our services would.
 */
import { logLevel, type Producer } from "kafkajs";
import type { ServiceBroker } from "moleculer";
import type { AppConfig } from "../../../config";
import { newEvent } from "../../../lib/events/event-envelope";
import { newKafka } from "../../../lib/events/kafka-client";
import { kafkaBrokers } from "../../../lib/health/dependency-probes";
import type { DeadLetter } from "../../../services/events/dead-letter.repository";
import eventsService from "../../../services/events/events.service";
import { startBroker, testConfig, uniqueId } from "../../support/brokers";
import { type LedgerStats, ledgerService, SALE_MADE, salesService } from "../../support/events/fixtures";
import {
	channelName,
	FlowDb,
	flowEnv,
	untilConsuming,
	untilStoringDeadLetters,
	waitFor,
} from "../../support/events/harness";
import { infra } from "../../support/infra";

const MAX_RETRIES = 3;

/** Not JSON, and not even UTF-8: only the bytes themselves can be kept. */
const NOT_JSON = Buffer.from([0x3c, 0x78, 0x6d, 0x6c, 0x3e, 0xff, 0xfe, 0x00, 0x3c, 0x2f]);

describe("dead letters over Kafka", () => {
	const brokers: ServiceBroker[] = [];
	let db: FlowDb | undefined;
	let producer: Producer | undefined;

	afterEach(async () => {
		await producer?.disconnect();
		producer = undefined;
		await Promise.allSettled(brokers.splice(0).map((b) => b.stop()));
		await db?.dropAndClose();
		db = undefined;
	});

	async function setUp() {
		const env = flowEnv(infra.kafkaUrl, { EVENTS_MAX_RETRIES: String(MAX_RETRIES) });
		db = FlowDb.open(env.DB_NAME_PREFIX as string);
		const config: AppConfig = testConfig({ ...env, NODE_ID: `ledger-${uniqueId()}` });
		const consumer = await startBroker(config, [ledgerService({ rejectNegative: true }), eventsService(config)]);
		brokers.push(consumer);
		const sales = await startBroker(testConfig({ ...env, NODE_ID: `sales-${uniqueId()}` }), [salesService()]);
		brokers.push(sales);
		await untilConsuming(sales, async (id) => (await consumer.call<LedgerStats>("ledger.stats")).probes.includes(id));
		await untilStoringDeadLetters(sales, consumer, config.events.deadLetterTopic);

		producer = newKafka({
			clientId: `outsider-${uniqueId()}`,
			brokers: kafkaBrokers(infra.kafkaUrl),
			logLevel: logLevel.NOTHING,
		}).producer();
		await producer.connect();
		return { consumer, config, topic: channelName(config, SALE_MADE) };
	}

	/** Produces one message the way a foreign producer would; resolves with where it landed. */
	async function produce(topic: string, key: string, value: Buffer, headers: Record<string, string>) {
		const [meta] = await (producer as Producer).send({ topic, messages: [{ key, value, headers }] });
		if (!meta?.baseOffset) throw new Error(`no offset for the message to ${topic}`);
		return { partition: meta.partition, offset: meta.baseOffset };
	}

	async function deadLetters(consumer: ServiceBroker, open = true): Promise<DeadLetter[]> {
		return consumer.call<DeadLetter[], object>("events.deadLetters", { open, limit: 1000 });
	}

	function untilDeadLetter(consumer: ServiceBroker, what: string, match: (l: DeadLetter) => boolean) {
		return waitFor(what, async () => (await deadLetters(consumer)).find(match), 45_000, 250);
	}

	it("when a message is not JSON or its handler throws, then its dead letter keeps raw bytes, key, headers, position, group and error, and a requeue republishes the same bytes", async () => {
		const { consumer, topic } = await setUp();
		const notJsonKey = `garbage-${uniqueId()}`;
		const garbage = await produce(topic, notJsonKey, NOT_JSON, { "x-trace": `t-${notJsonKey}`, origin: "outsider" });
		const orderId = `poison-${uniqueId()}`;
		const envelope = newEvent(SALE_MADE, orderId, { orderId, amount: -5 }, `corr-${orderId}`);
		const poisonBytes = Buffer.from(JSON.stringify(envelope));
		const poison = await produce(topic, orderId, poisonBytes, { eventId: envelope.eventId, origin: "outsider" });

		const garbageLetter = await untilDeadLetter(
			consumer,
			"the non-JSON message's dead letter",
			(l) => l.messageKey === notJsonKey,
		);
		expect(garbageLetter).toMatchObject({
			eventId: null,
			originalChannel: topic,
			originalGroup: "ledger",
			originalPartition: garbage.partition,
			originalOffset: garbage.offset,
			messageKey: notJsonKey,
			headers: { "x-trace": `t-${notJsonKey}`, origin: "outsider" },
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
			originalChannel: topic,
			originalGroup: "ledger",
			originalPartition: poison.partition,
			originalOffset: poison.offset,
			messageKey: orderId,
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
		// bytes, key and headers, from a later offset of the same topic.
		await consumer.call("events.requeueDeadLetter", { id: garbageLetter.id });
		const again = await untilDeadLetter(
			consumer,
			"the requeued non-JSON message's second dead letter",
			(l) => l.messageKey === notJsonKey && l.id !== garbageLetter.id,
		);
		expect(again).toMatchObject({
			originalChannel: topic,
			originalGroup: "ledger",
			headers: garbageLetter.headers,
			rawPayloadBase64: garbageLetter.rawPayloadBase64,
			error: garbageLetter.error,
		});
		expect(BigInt(again.originalOffset ?? "-1")).toBeGreaterThan(BigInt(garbage.offset));

		// The poison is applied once the consumer is fixed and it is requeued.
		await consumer.call("ledger.rejectNegative", { on: false });
		await consumer.call("events.requeueDeadLetter", { id: poisonLetter.id });
		await waitFor("the requeued poison in the ledger", async () =>
			(await (db as FlowDb).ledgerEventIds()).includes(envelope.eventId) ? true : undefined,
		);
		const requeued = (await deadLetters(consumer, false)).filter((l) => l.requeuedAt !== null).map((l) => l.id);
		expect(requeued.sort()).toEqual([garbageLetter.id, poisonLetter.id].sort());
	}, 120_000);
});
