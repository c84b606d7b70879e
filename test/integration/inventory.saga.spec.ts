/**
 * Inventory as a participant of the checkout saga: order and payment events in, one outcome event per
 * order out (through the outbox), stock and reservations always in line with what was announced.
 * Real event brokers and databases: Kafka, NATS JetStream and Redis Streams on MariaDB, and the embedded
 * in-process adapter on SQLite.
 */
import type { ServiceBroker } from "moleculer";
import type { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import {
	type InventoryReservationFailedPayload,
	type InventoryReservedPayload,
	TOPIC,
} from "../../lib/events/checkout-topics";
import { type EventEnvelope, newEvent } from "../../lib/events/event-envelope";
import inventoryService from "../../services/inventory/inventory.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { orderCreated, ordersStandIn, publishEvent } from "../support/checkout";
import { settled, sleep, waitFor } from "../support/events/harness";
import { infra } from "../support/infra";

type Outcome = EventEnvelope<InventoryReservedPayload | InventoryReservationFailedPayload>;

interface HoldView {
	orderId: string;
	status: string;
	settled: boolean;
	lines: Array<{ sku: string; quantity: number; reservation: string | null }>;
}

describe.each([
	["Kafka on MariaDB", () => ({ DATABASE_URL: infra.databaseUrl, EVENTS_URL: infra.kafkaUrl })],
	// JetStream hands a consumer up to EVENTS_MAX_IN_FLIGHT messages at once: copies of one order race for real.
	["NATS JetStream on MariaDB", () => ({ DATABASE_URL: infra.databaseUrl, EVENTS_URL: infra.natsUrl })],
	// Redis Streams redelivers by claiming messages left idle by a consumer (minIdleTime), not by a nack.
	["Redis Streams on MariaDB", () => ({ DATABASE_URL: infra.databaseUrl, EVENTS_URL: infra.redisUrl })],
	["in-process on SQLite", () => ({})],
])("inventory in the checkout saga (%s)", (_label, envOf) => {
	let config: AppConfig;
	let broker: ServiceBroker;
	const received: Outcome[] = [];
	const sku = () => `SKU-${uniqueId()}`;
	const order = () => `o-${uniqueId()}`;

	const send = (event: EventEnvelope) => publishEvent(broker, event);
	const publish = (type: string, orderId: string, payload: unknown) =>
		send(newEvent(type, orderId, payload, `corr-${orderId}`));
	const outcomesOf = (orderId: string) => received.filter((e) => e.key === orderId);
	const outcomeOf = (orderId: string) => waitFor(`the outcome of ${orderId}`, () => outcomesOf(orderId)[0], 30_000, 50);
	const stock = (s: string) => broker.call<Record<string, number>, object>("inventory.getStock", { sku: s });
	const hold = (orderId: string) => broker.call<HoldView, object>("inventory.orderHold", { orderId });
	const setStock = (s: string, available: number) => broker.call("inventory.setStock", { sku: s, available });

	beforeAll(async () => {
		config = testConfig({
			...envOf(),
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "error",
			INVENTORY_MAX_QUANTITY_PER_ORDER: "50",
			INVENTORY_SWEEP_INTERVAL_S: "1",
			OUTBOX_RELAY_INTERVAL_MS: "200",
		});
		broker = await startBroker(config, [
			inventoryService(config),
			ordersStandIn((envelope) => received.push(envelope as Outcome)),
		]);
		// Kafka consumer groups start at the end of a topic once they have joined: wait until an
		// order goes all the way round (an unknown SKU, answered with a failure).
		const deadline = Date.now() + 60_000;
		while (Date.now() < deadline) {
			const probe = `probe-${uniqueId()}`;
			await publish(TOPIC.orderCreated, probe, { orderId: probe, items: [{ sku: "PROBE", quantity: 1 }] });
			const until = Date.now() + 1500;
			while (Date.now() < until && outcomesOf(probe).length === 0) await sleep(50);
			if (outcomesOf(probe).length > 0) return;
		}
		throw new Error("the saga did not answer a probe order within 60 s");
	}, 90_000);
	afterAll(() => broker?.stop());

	it("when every line is in stock, then all are held, lines of one SKU add up, and inventory.reserved.v1 says so once", async () => {
		const [a, b] = [sku(), sku()];
		await setStock(a, 10);
		await setStock(b, 5);
		const o = order();
		await send(
			orderCreated(o, [
				{ sku: a, quantity: 3 },
				{ sku: b, quantity: 2 },
				{ sku: a, quantity: 1 },
			]),
		);

		const outcome = (await outcomeOf(o)) as EventEnvelope<InventoryReservedPayload>;
		expect(outcome.type).toBe(TOPIC.inventoryReserved);
		expect(outcome.correlationId).toBe(`corr-${o}`);
		expect(outcome.payload.items).toEqual([
			{ sku: a, quantity: 4, reservationId: `${o}:${a}` },
			{ sku: b, quantity: 2, reservationId: `${o}:${b}` },
		]);
		expect(Date.parse(outcome.payload.expiresAt)).toBeGreaterThan(Date.now());
		expect(await stock(a)).toMatchObject({ available: 6, reserved: 4, confirmed: 0 });
		expect(await stock(b)).toMatchObject({ available: 3, reserved: 2, confirmed: 0 });
		expect(await hold(o)).toMatchObject({ status: "RESERVED", settled: true });
	});

	it("when one line is short, then the order fails as a whole and the lines already held are given back", async () => {
		const [a, b] = [sku(), sku()];
		await setStock(a, 10);
		await setStock(b, 1);
		const o = order();
		await send(
			orderCreated(o, [
				{ sku: a, quantity: 3 },
				{ sku: b, quantity: 2 },
			]),
		);

		const outcome = (await outcomeOf(o)) as EventEnvelope<InventoryReservationFailedPayload>;
		expect(outcome.type).toBe(TOPIC.inventoryReservationFailed);
		expect(outcome.payload).toMatchObject({
			orderId: o,
			reason: "INSUFFICIENT_STOCK",
			items: [{ sku: b, quantity: 2, code: "INSUFFICIENT_STOCK" }],
		});
		const settledHold = await waitFor("the hold to settle", async () => {
			const h = await hold(o);
			return h.settled ? h : undefined;
		});
		expect(settledHold.status).toBe("FAILED");
		expect(settledHold.lines.find((l) => l.sku === a)?.reservation).toBe("RELEASED");
		expect(await stock(a)).toMatchObject({ available: 10, reserved: 0 });
		expect(await stock(b)).toMatchObject({ available: 1, reserved: 0 });
	});

	it("when a SKU is unknown or the order is malformed, then the order fails with the reason and nothing is held", async () => {
		const a = sku();
		await setStock(a, 100);
		const unknown = order();
		const zero = order();
		const overMax = order();
		await send(orderCreated(unknown, [{ sku: `NOPE-${uniqueId()}`, quantity: 1 }]));
		await send(orderCreated(zero, [{ sku: a, quantity: 0 }]));
		// 30 + 30 of one SKU is one reservation of 60, over the per-order maximum of 50.
		await send(
			orderCreated(overMax, [
				{ sku: a, quantity: 30 },
				{ sku: a, quantity: 30 },
			]),
		);

		expect((await outcomeOf(unknown)).payload).toMatchObject({ reason: "SKU_NOT_FOUND" });
		expect((await outcomeOf(zero)).payload).toMatchObject({ reason: "INVALID_ORDER" });
		expect((await outcomeOf(overMax)).payload).toMatchObject({ reason: "INVALID_ORDER" });
		expect(await stock(a)).toMatchObject({ available: 100, reserved: 0 });
	});

	it("when the same order event arrives many times, even at once, then stock moves once and one outcome is announced", async () => {
		const a = sku();
		await setStock(a, 10);
		const o = order();
		const event = orderCreated(o, [{ sku: a, quantity: 4 }]);
		await Promise.all(Array.from({ length: 5 }, () => send(event)));
		await outcomeOf(o);
		await send(event);

		await settled(async () => outcomesOf(o).length, 1500);
		expect(outcomesOf(o).map((e) => e.type)).toEqual([TOPIC.inventoryReserved]);
		expect(await stock(a)).toMatchObject({ available: 6, reserved: 4 });
	});

	it("when the order is confirmed, then its lines are sold once, however often the confirmation arrives", async () => {
		const [a, b] = [sku(), sku()];
		await setStock(a, 10);
		await setStock(b, 10);
		const o = order();
		await send(
			orderCreated(o, [
				{ sku: a, quantity: 2 },
				{ sku: b, quantity: 3 },
			]),
		);
		await outcomeOf(o);
		const paid = await publish(TOPIC.orderConfirmed, o, { orderId: o });
		await send(paid);

		const h = await waitFor("the order to be confirmed", async () => {
			const view = await hold(o);
			return view.status === "CONFIRMED" && view.settled ? view : undefined;
		});
		expect(h.lines.map((l) => l.reservation)).toEqual(["CONFIRMED", "CONFIRMED"]);
		expect(await stock(a)).toMatchObject({ available: 8, reserved: 0, confirmed: 2 });
		expect(await stock(b)).toMatchObject({ available: 7, reserved: 0, confirmed: 3 });
	});

	it("when a held order times out, then its stock comes back, and a confirmation arriving after that confirms nothing", async () => {
		const a = sku();
		await setStock(a, 10);
		const o = order();
		await send(orderCreated(o, [{ sku: a, quantity: 4 }]));
		await outcomeOf(o);
		await publish(TOPIC.orderTimedOut, o, { orderId: o });
		await waitFor("the stock to come back", async () => ((await stock(a)).available === 10 ? true : undefined));
		await publish(TOPIC.orderConfirmed, o, { orderId: o });

		await settled(async () => stock(a), 1500);
		expect(await stock(a)).toMatchObject({ available: 10, reserved: 0, confirmed: 0 });
		expect(await hold(o)).toMatchObject({ status: "RELEASED", lines: [{ sku: a, reservation: "RELEASED" }] });
	});

	it("when an order is cancelled before inventory sees it, then its late order.created holds nothing", async () => {
		const a = sku();
		await setStock(a, 10);
		const o = order();
		await publish(TOPIC.orderCancelled, o, { orderId: o });
		await waitFor("the tombstone", async () =>
			(await hold(o).catch(() => null))?.status === "CANCELLED" ? true : undefined,
		);
		await send(orderCreated(o, [{ sku: a, quantity: 4 }]));

		await settled(async () => stock(a), 1500);
		expect(await stock(a)).toMatchObject({ available: 10, reserved: 0 });
		expect(outcomesOf(o)).toEqual([]);
	});

	it("when an attempt held a line and failed, and the order was called off before the redelivery, then the redelivery gives the line back", async () => {
		const a = sku();
		const b = sku();
		await setStock(a, 10);
		await setStock(b, 10);
		const o = order();
		// What the failed attempt left: line a reserved (its answer lost, or line b's reserve failed), nothing decided.
		await broker.call("inventory.reserve", { orderId: o, sku: a, quantity: 4 });
		await publish(TOPIC.orderTimedOut, o, { orderId: o });
		await waitFor("the tombstone", async () =>
			(await hold(o).catch(() => null))?.status === "CANCELLED" ? true : undefined,
		);
		await send(
			orderCreated(o, [
				{ sku: a, quantity: 4 },
				{ sku: b, quantity: 1 },
			]),
		);

		await waitFor("line a to come back", async () => ((await stock(a)).available === 10 ? true : undefined));
		await settled(async () => [await stock(a), await stock(b)], 1500);
		expect(await stock(a)).toMatchObject({ available: 10, reserved: 0 });
		expect(await stock(b)).toMatchObject({ available: 10, reserved: 0 });
		expect(outcomesOf(o)).toEqual([]);
	});

	it("when the confirmation overtakes order.created, then it waits for the order and confirms it", async () => {
		const a = sku();
		await setStock(a, 10);
		const o = order();
		await publish(TOPIC.orderConfirmed, o, { orderId: o });
		await sleep(500);
		await send(orderCreated(o, [{ sku: a, quantity: 4 }]));

		await waitFor("the order to be confirmed", async () => {
			const view = await hold(o).catch(() => null);
			return view?.status === "CONFIRMED" && view.settled ? view : undefined;
		});
		expect(await stock(a)).toMatchObject({ available: 6, reserved: 0, confirmed: 4 });
	});

	it("when a node died between recording a failure and releasing the lines, then the sweep finishes the job", async () => {
		const a = sku();
		await setStock(a, 10);
		const o = order();
		// What the dead node left: the line reserved, the order recorded FAILED, not settled.
		await broker.call("inventory.reserve", { orderId: o, sku: a, quantity: 4 });
		const db = (broker.getLocalService("inventory") as unknown as { sequelize: Sequelize }).sequelize;
		const longAgo = Date.now() - 60_000;
		await db.query(
			"INSERT INTO order_holds (order_id, status, order_lines, settled, created_at, updated_at) VALUES (?, 'FAILED', ?, ?, ?, ?)",
			{ replacements: [o, JSON.stringify([{ sku: a, quantity: 4 }]), false, longAgo, longAgo] },
		);

		const h = await waitFor("the sweep to settle the order", async () => {
			const view = await hold(o);
			return view.settled ? view : undefined;
		});
		expect(h.lines).toEqual([{ sku: a, quantity: 4, reservation: "RELEASED" }]);
		expect(await stock(a)).toMatchObject({ available: 10, reserved: 0 });
	});

	it("when a flash sale arrives as order events, then exactly the stock is sold and every order gets one answer", async () => {
		const a = sku();
		const units = 20;
		const orders = Array.from({ length: 100 }, () => order());
		await setStock(a, units);
		await Promise.all(orders.map((o) => send(orderCreated(o, [{ sku: a, quantity: 1 }]))));

		await waitFor("every order's outcome", () => (orders.every((o) => outcomesOf(o).length > 0) ? true : undefined));
		await settled(async () => orders.map((o) => outcomesOf(o).length).join(), 1000);
		const types = orders.map((o) => outcomesOf(o).map((e) => e.type));
		expect(types.every((t) => t.length === 1)).toBe(true);
		expect(types.filter(([t]) => t === TOPIC.inventoryReserved)).toHaveLength(units);
		expect(await stock(a)).toMatchObject({ available: 0, reserved: units, confirmed: 0 });
	});
});
