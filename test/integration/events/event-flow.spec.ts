/**
 * One conformance suite for the durable event flow (transactional outbox -> channels adapter ->
 * deduplicating consumer -> dead letters), run against every adapter named in EVENTS_ADAPTERS
 * (default: kafka, jetstream, redis, in-process). Every test gets its own namespace (topics) and
 * databases, and reads the outcome from the consumer's table.
 */
import type { ServiceBroker } from "moleculer";
import type { AppConfig } from "../../../config";
import type { DeadLetter } from "../../../services/events/dead-letter.repository";
import eventsService from "../../../services/events/events.service";
import { startBroker, testConfig, uniqueId } from "../../support/brokers";
import {
	type LedgerRow,
	type LedgerStats,
	ledgerService,
	SALE_MADE,
	salesService,
} from "../../support/events/fixtures";
import {
	adaptersUnderTest,
	channelName,
	FlowDb,
	flowEnv,
	sellMany,
	sendToChannel,
	settled,
	sharedEventsUrl,
	untilConsuming,
	untilStoringDeadLetters,
	waitFor,
} from "../../support/events/harness";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_RETRIES = 3;

interface OutboxStatus {
	pending: number;
	failed: number;
	published: number;
}

describe.each(adaptersUnderTest())("event flow over %s", (adapter) => {
	const brokers: ServiceBroker[] = [];
	let db: FlowDb | undefined;

	afterEach(async () => {
		await Promise.allSettled(brokers.splice(0).map((b) => b.stop()));
		await db?.dropAndClose();
		db = undefined;
	});

	/** A consumer node (ledger, plus the events service when asked) and `producers` sales nodes. */
	async function setUp(options: { producers?: number; deadLetters?: boolean; rejectNegative?: boolean } = {}) {
		const env = flowEnv(sharedEventsUrl(adapter));
		db = FlowDb.open(env.DB_NAME_PREFIX as string);
		// Metrics on (no fixed port) so the dedup metric can be read.
		const consumerConfig: AppConfig = testConfig({
			...env,
			NODE_ID: `ledger-${uniqueId()}`,
			METRICS_ENABLED: "true",
			METRICS_PORT: "0",
		});
		const services = [ledgerService({ rejectNegative: options.rejectNegative })];
		if (options.deadLetters) services.push(eventsService(consumerConfig));
		const consumer = await startBroker(consumerConfig, services);
		brokers.push(consumer);
		const producers: ServiceBroker[] = [];
		for (let i = 0; i < (options.producers ?? 1); i++) {
			const producer = await startBroker(testConfig({ ...env, NODE_ID: `sales-${i}-${uniqueId()}` }), [salesService()]);
			brokers.push(producer);
			producers.push(producer);
		}
		const producer = producers[0] as ServiceBroker;
		await untilConsuming(producer, async (id) => (await stats(consumer)).probes.includes(id));
		if (options.deadLetters) await untilStoringDeadLetters(producer, consumer, consumerConfig.events.deadLetterTopic);
		return { consumer, producer, producers, consumerConfig, flowDb: db };
	}

	function stats(consumer: ServiceBroker): Promise<LedgerStats> {
		return consumer.call("ledger.stats");
	}

	function entries(consumer: ServiceBroker): Promise<LedgerRow[]> {
		return consumer.call("ledger.entries");
	}

	async function untilLedgerHas(flowDb: FlowDb, rows: number, timeoutMs = 30_000) {
		await waitFor(
			`${rows} ledger entries`,
			async () => ((await flowDb.ledgerCounts()).rows >= rows ? true : undefined),
			timeoutMs,
		);
	}

	async function untilOutboxDrained(producer: ServiceBroker, published: number): Promise<OutboxStatus> {
		return waitFor(`outbox with ${published} published events`, async () => {
			const status = await producer.call<OutboxStatus>("sales.outboxStatus");
			return status.pending === 0 && status.published >= published ? status : undefined;
		});
	}

	it("when 200 sales commit, then the ledger applies each event exactly once with a complete envelope and the outbox is drained", async () => {
		const { consumer, producer, flowDb } = await setUp();
		const run = uniqueId();
		const errors = await sellMany(
			producer,
			(i) => ({ orderId: `o-${run}-${i}`, amount: i + 1 }),
			200,
			16,
			(i) => ({ requestID: `corr-${run}-${i}` }),
		);
		expect(errors).toEqual([]);
		const committed = await flowDb.outboxRows();

		await untilLedgerHas(flowDb, 200);
		const status = await untilOutboxDrained(producer, 200);
		expect(status).toMatchObject({ pending: 0, failed: 0, published: 200 });
		const ledger = await settled(() => entries(consumer));

		expect(ledger).toHaveLength(200);
		expect(new Set(ledger.map((e) => e.event_id)).size).toBe(200);
		for (const entry of ledger) {
			const i = Number(/^o-[0-9a-f]+-(\d+)$/.exec(entry.order_id)?.[1]);
			expect(entry).toMatchObject({
				event_type: SALE_MADE,
				event_key: `o-${run}-${i}`,
				order_id: `o-${run}-${i}`,
				amount: i + 1,
				correlation_id: `corr-${run}-${i}`,
			});
			expect(entry.event_id).toMatch(UUID);
			expect(new Date(entry.occurred_at).toISOString()).toBe(entry.occurred_at);
		}
		expect(new Set(ledger.map((e) => e.order_id)).size).toBe(200);

		// Every committed event, and nothing else, reached the ledger; every outbox row is PUBLISHED.
		expect(committed).toHaveLength(200);
		expect(new Set(ledger.map((e) => e.event_id))).toEqual(new Set(committed.map((r) => r.eventId)));
		const outbox = await flowDb.outboxRows();
		expect(outbox.filter((r) => r.status !== "PUBLISHED")).toEqual([]);

		const s = await stats(consumer);
		expect(s).toMatchObject({ applied: 200, duplicates: 0 });
		expect(s.deliveries).toHaveLength(200);
	});

	it("when 20 events for one key commit one after the other, then they arrive in commit order", async () => {
		const { consumer, producer, flowDb } = await setUp();
		const orderId = `o-${uniqueId()}`;
		const committed: string[] = [];
		for (let amount = 1; amount <= 20; amount++) {
			const { eventId } = await producer.call<{ eventId: string }, object>("sales.sell", { orderId, amount });
			committed.push(eventId);
		}

		await untilLedgerHas(flowDb, 20);
		const arrived = (await settled(() => stats(consumer))).deliveries.filter((d) => d.key === orderId);
		expect(arrived.map((d) => d.eventId)).toEqual(committed);
		expect(arrived.map((d) => d.amount)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
		const ledger = await entries(consumer);
		expect(ledger.map((e) => e.event_id).sort()).toEqual([...committed].sort());
	});

	it("when an already consumed envelope is delivered again, then it is acknowledged and skipped as a duplicate", async () => {
		const { consumer, producer, flowDb } = await setUp();
		const { eventId } = await producer.call<{ eventId: string }, object>("sales.sell", {
			orderId: `o-${uniqueId()}`,
			amount: 42,
		});
		await untilLedgerHas(flowDb, 1);
		await untilOutboxDrained(producer, 1);

		const envelope = (await flowDb.outboxEnvelope(eventId)) as { key: string; eventId: string };
		expect(envelope.eventId).toBe(eventId);
		await sendToChannel(producer, SALE_MADE, envelope, { key: envelope.key, headers: { eventId } });

		await waitFor("the duplicate delivery", async () => ((await stats(consumer)).duplicates === 1 ? true : undefined));
		// Acknowledged: no redelivery of it within a quiet period (a redis re-claim would come after 1 s).
		const after = await settled(() => stats(consumer), 1500);
		expect(after.deliveries.filter((d) => d.eventId === eventId)).toHaveLength(2);
		expect(after).toMatchObject({ applied: 1, duplicates: 1 });
		expect(await flowDb.ledgerCounts()).toEqual({ rows: 1, distinct: 1 });
		const metric = consumer.metrics.getMetric("shop_events_duplicates_skipped_total");
		expect(metric?.get({ consumer: "ledger" })?.value).toBe(1);
	});

	it("when a message keeps failing, then it is retried EVENTS_MAX_RETRIES times, dead-lettered, and consumed exactly once after the fix and a requeue", async () => {
		const { consumer, producer, consumerConfig, flowDb } = await setUp({ deadLetters: true, rejectNegative: true });
		const orderId = `poison-${uniqueId()}`;
		const { eventId } = await producer.call<{ eventId: string }, object>("sales.sell", { orderId, amount: -5 });
		// A healthy event behind the poison still gets through.
		const { eventId: healthy } = await producer.call<{ eventId: string }, object>("sales.sell", {
			orderId: `o-${uniqueId()}`,
			amount: 5,
		});

		const letter = await waitFor(
			"the poison's dead letter",
			async () =>
				(await consumer.call<DeadLetter[], object>("events.deadLetters", { open: true })).find(
					(l) => l.eventId === eventId,
				),
			30_000,
		);
		expect(letter).toMatchObject({
			originalChannel: channelName(consumerConfig, SALE_MADE),
			requeuedAt: null,
			payload: { eventId, type: SALE_MADE, key: orderId, payload: { orderId, amount: -5 } },
		});
		expect(letter.originalGroup).toBe("ledger");
		// The bytes as consumed, the error and the message's own headers on every broker; a key where the broker
		// has one (Kafka, in-process), a position where it has one (Kafka offset, JetStream sequence, Redis entry id).
		expect(JSON.parse(Buffer.from(letter.rawPayloadBase64 ?? "", "base64").toString("utf8"))).toEqual(letter.payload);
		expect(letter).toMatchObject({
			error: "ledger rejects negative amount -5",
			headers: { eventId, correlationId: expect.any(String) },
		});
		if (adapter === "kafka" || adapter === "in-process") expect(letter.messageKey).toBe(orderId);
		if (adapter === "kafka" || adapter === "jetstream") expect(letter.originalOffset).toMatch(/^\d+$/);
		if (adapter === "redis") expect(letter.originalOffset).toMatch(/^\d+-\d+$/);
		await untilLedgerHas(flowDb, 1);
		const failing = await settled(() => stats(consumer), 1500);
		expect(failing.deliveries.filter((d) => d.eventId === eventId)).toHaveLength(MAX_RETRIES);
		expect((await flowDb.ledgerEventIds()).sort()).toEqual([healthy]);

		// The fix, then the operator's requeue.
		await consumer.call("ledger.rejectNegative", { on: false });
		await consumer.call("events.requeueDeadLetter", { id: letter.id });
		await untilLedgerHas(flowDb, 2);
		const fixed = await settled(() => stats(consumer), 1000);
		expect(fixed.deliveries.filter((d) => d.eventId === eventId)).toHaveLength(MAX_RETRIES + 1);
		expect((await flowDb.ledgerEventIds()).sort()).toEqual([eventId, healthy].sort());
		expect(await flowDb.ledgerCounts()).toEqual({ rows: 2, distinct: 2 });

		const open = await consumer.call<DeadLetter[], object>("events.deadLetters", { open: true });
		expect(open.find((l) => l.eventId === eventId)).toBeUndefined();
		await expect(consumer.call("events.requeueDeadLetter", { id: letter.id })).rejects.toMatchObject({ code: 409 });
	});

	it("when two relays run at once while 500 sales commit through both nodes, then no event is published twice", async () => {
		const { consumer, producers, flowDb } = await setUp({ producers: 2 });
		const run = uniqueId();
		const results = await Promise.all(
			producers.map((producer, node) =>
				sellMany(producer, (i) => ({ orderId: `o-${run}-${node}-${i}`, amount: 1 }), 250, 12),
			),
		);
		expect(results.flat()).toEqual([]);

		await untilLedgerHas(flowDb, 500, 45_000);
		await untilOutboxDrained(producers[0] as ServiceBroker, 500);
		const s = await settled(() => stats(consumer), 1000);
		expect(s.deliveries).toHaveLength(500);
		expect(new Set(s.deliveries.map((d) => d.eventId)).size).toBe(500);
		expect(s).toMatchObject({ applied: 500, duplicates: 0 });
		expect(await flowDb.ledgerCounts()).toEqual({ rows: 500, distinct: 500 });
		const outbox = await flowDb.outboxRows();
		expect(outbox).toHaveLength(500);
		// Each row was marked published by exactly one relay run.
		expect(outbox.filter((r) => r.status !== "PUBLISHED" || r.attempts !== 1)).toEqual([]);
	}, 90_000);
});
