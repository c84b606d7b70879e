/**
 * The checkout saga survives a node dying: two inventory node processes consume order events from
 * Kafka; one is SIGKILLed mid-stream. Every order still gets exactly one outcome, and the stock held
 * is exactly what the announced outcomes say.
 */
import type { ServiceBroker } from "moleculer";
import { QueryTypes, Sequelize } from "sequelize";
import { databaseNameFor } from "../../lib/db/sequelize-factory";
import { type InventoryReservedPayload, TOPIC } from "../../lib/events/checkout-topics";
import type { EventEnvelope } from "../../lib/events/event-envelope";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { orderCreated, ordersStandIn, publishEvent } from "../support/checkout";
import { sleep, waitFor } from "../support/events/harness";
import { infra } from "../support/infra";
import { auditInventory, expectConsistent } from "../support/inventory-audit";
import { NodeProcess } from "../support/node-process";
import { testNamespace } from "../support/test-namespaces";

const SKUS = 4;
const UNITS_PER_SKU = 60;
const ORDERS = 400;
/** Outcomes seen before the kill: early enough that much of the stream is still ahead. */
const KILL_AFTER = 80;

describe("checkout saga on 2 inventory nodes over Kafka", () => {
	const shared = {
		TRANSPORTER: infra.natsUrl,
		DATABASE_URL: infra.databaseUrl,
		EVENTS_URL: infra.kafkaUrl,
		DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
		NAMESPACE: testNamespace("saga"),
		LOG_LEVEL: "warn",
		// The survivors get a dead node's partitions and outbox rows within seconds, not the 30 s defaults.
		EVENTS_KAFKA_SESSION_TIMEOUT_MS: "6000",
		OUTBOX_LEASE_MS: "3000",
		OUTBOX_RELAY_INTERVAL_MS: "500",
		INVENTORY_SWEEP_INTERVAL_S: "1",
	};
	const nodeIds = [0, 1].map((i) => `inv-${i}-${uniqueId()}`);
	const nodes: NodeProcess[] = [];
	let client: ServiceBroker;

	afterAll(async () => {
		await client?.stop();
		await Promise.all(nodes.map((n) => n.stop("SIGKILL")));
	});

	it("when a node is SIGKILLed mid-stream, then every order gets one outcome and the stock held matches them", async () => {
		for (const id of nodeIds) nodes.push(NodeProcess.start({ ...shared, NODE_ID: id, SERVICES: "inventory" }));
		const outcomes = new Map<string, Map<string, EventEnvelope>>();
		const clientConfig = testConfig({ ...shared, NODE_ID: `orders-${uniqueId()}` });
		// Per order, its outcomes by event id (a relay that died after publishing may send one again).
		const record = (envelope: EventEnvelope) => {
			const seen = outcomes.get(envelope.key) ?? new Map<string, EventEnvelope>();
			seen.set(envelope.eventId, envelope);
			outcomes.set(envelope.key, seen);
		};
		client = await startBroker(clientConfig, [ordersStandIn(record)]);
		await waitFor(
			"both inventory nodes",
			() => (nodeIds.every((id) => client.registry.nodes.get(id)?.services.length) ? true : undefined),
			60_000,
		);
		await client.waitForServices("inventory", 10_000);
		const publish = (event: EventEnvelope) => publishEvent(client, event);

		// Both consumers in the group: an order goes all the way round.
		const probe = `probe-${uniqueId()}`;
		await publish(orderCreated(probe, [{ sku: "NO-SUCH-SKU", quantity: 1 }]));
		await waitFor("the probe's outcome", () => (outcomes.has(probe) ? true : undefined), 60_000);
		await sleep(3000);

		const skus = Array.from({ length: SKUS }, (_, i) => `SAGA-${i}-${uniqueId()}`);
		await Promise.all(skus.map((sku) => client.call("inventory.setStock", { sku, available: UNITS_PER_SKU })));
		const orders = Array.from({ length: ORDERS }, (_, i) => {
			const lines = skus.filter((_, s) => (i + s) % 3 !== 0).slice(0, 1 + (i % 3));
			return { orderId: `order-${i}-${uniqueId()}`, items: lines.map((sku) => ({ sku, quantity: 1 + (i % 2) })) };
		});

		let killedAt = 0;
		let answeredAtKill = 0;
		for (let i = 0; i < orders.length; i += 20) {
			await Promise.all(orders.slice(i, i + 20).map((o) => publish(orderCreated(o.orderId, o.items))));
			await sleep(50);
			const answered = orders.filter((o) => outcomes.has(o.orderId)).length;
			if (!killedAt && answered >= KILL_AFTER) {
				killedAt = Date.now();
				answeredAtKill = answered;
				nodes[0]?.child.kill("SIGKILL");
			}
		}
		if (!killedAt) {
			await waitFor("outcomes before the kill", () =>
				orders.filter((o) => outcomes.has(o.orderId)).length >= KILL_AFTER ? true : undefined,
			);
			killedAt = Date.now();
			answeredAtKill = orders.filter((o) => outcomes.has(o.orderId)).length;
			nodes[0]?.child.kill("SIGKILL");
		}
		expect(answeredAtKill).toBeLessThan(ORDERS);

		await waitFor(
			"every order's outcome",
			() => (orders.every((o) => outcomes.has(o.orderId)) ? true : undefined),
			120_000,
			200,
		);

		// One outcome per order (a relay that died after publishing may send the same event again: same id).
		for (const o of orders) expect(outcomes.get(o.orderId)?.size).toBe(1);
		const outcomeOf = (orderId: string) => [...(outcomes.get(orderId)?.values() ?? [])][0] as EventEnvelope;

		// The stock held is exactly what the reserved outcomes announced, once every hold is settled.
		const database = databaseNameFor(clientConfig, "inventory");
		const db = new Sequelize(`${infra.databaseUrl}/${database}`, { logging: false });
		try {
			await waitFor(
				"every hold to settle",
				async () => {
					const [row] = await db.query<{ n: number }>("SELECT COUNT(*) AS n FROM order_holds WHERE settled = 0", {
						type: QueryTypes.SELECT,
					});
					return Number(row?.n) === 0 ? true : undefined;
				},
				30_000,
			);
		} finally {
			await db.close();
		}
		const announced = new Map(skus.map((sku) => [sku, 0]));
		let reservedOrders = 0;
		for (const o of orders) {
			const outcome = outcomeOf(o.orderId);
			if (outcome.type !== TOPIC.inventoryReserved) continue;
			reservedOrders++;
			for (const item of (outcome.payload as InventoryReservedPayload).items) {
				announced.set(item.sku, (announced.get(item.sku) ?? 0) + item.quantity);
			}
		}
		const audit = await auditInventory(infra.databaseUrl, database);
		for (const sku of skus) {
			const row = audit.get(sku);
			expectConsistent(row as never, UNITS_PER_SKU);
			expect(row?.reserved).toBe(announced.get(sku));
		}
		expect(reservedOrders).toBeGreaterThan(0);
		expect(reservedOrders).toBeLessThan(ORDERS);
		process.stdout.write(
			`saga fault: ${reservedOrders} of ${ORDERS} orders reserved, ${answeredAtKill} answered at the kill, all answered ${Math.round((Date.now() - killedAt) / 1000)} s after it\n`,
		);
	}, 240_000);
});
