import type { ServiceBroker } from "moleculer";
import { Sequelize } from "sequelize";
import { databaseNameFor } from "../../lib/db/sequelize-factory";
import inventoryService from "../../services/inventory/inventory.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { waitFor } from "../support/events/harness";
import { infra } from "../support/infra";
import { auditInventory, expectConsistent } from "../support/inventory-audit";
import { histogramTotals, METRICS_ON, metricTotal } from "../support/metrics";

const ALLOWED_REJECTIONS = new Set(["INSUFFICIENT_STOCK", "RESERVATION_NOT_FOUND", "INVALID_RESERVATION_STATE"]);

function random<T>(items: readonly T[]): T {
	return items[Math.floor(Math.random() * items.length)] as T;
}

describe.each([
	["compound statements", "true"],
	["plain statements", "false"],
])("inventory under concurrency (MariaDB, batches committed with %s)", (_mode, compound) => {
	/** Every broker of this file on MariaDB, committing the way under test. */
	const mariadb = () => ({ DATABASE_URL: infra.databaseUrl, INVENTORY_COMPOUND_COMMIT: compound });

	it("when thousands of reserve/release/confirm race with repeated order ids, then every SKU stays consistent", async () => {
		const config = testConfig({ ...mariadb(), DB_NAME_PREFIX: `shop_t${uniqueId()}_` });
		const broker = await startBroker(config, [inventoryService(config)]);
		try {
			const skus = Array.from({ length: 5 }, (_, i) => `SKU-${i}-${uniqueId()}`);
			await Promise.all(skus.map((sku) => broker.call("inventory.setStock", { sku, available: 200 })));
			const orders = Array.from({ length: 300 }, (_, i) => `o${i}`);
			const actions = ["reserve", "reserve", "reserve", "release", "confirm"] as const;

			const outcomes = await Promise.allSettled(
				Array.from({ length: 4000 }, () => {
					const action = random(actions);
					const params = { orderId: random(orders), sku: random(skus), quantity: 1 + Math.floor(Math.random() * 5) };
					return broker.call(`inventory.${action}`, params);
				}),
			);
			for (const outcome of outcomes) {
				if (outcome.status === "rejected") expect(ALLOWED_REJECTIONS).toContain(outcome.reason.type);
			}
			expect(outcomes.filter((o) => o.status === "fulfilled").length).toBeGreaterThan(500);

			const audit = await auditInventory(infra.databaseUrl, databaseNameFor(config, "inventory"));
			for (const sku of skus) expectConsistent(audit.get(sku) as never, 200);
		} finally {
			await broker.stop();
		}
	});

	it("when two nodes act for the same SKU at once, then the version fence prevents any oversell", async () => {
		const prefix = `shop_t${uniqueId()}_`;
		// Two brokers without a transporter: each has its own actor for the SKU, as after a split brain.
		const configs = [0, 1].map((i) =>
			testConfig({
				...mariadb(),
				DB_NAME_PREFIX: prefix,
				NODE_ID: `fence-${i}-${uniqueId()}`,
				...METRICS_ON,
			}),
		);
		const brokers: ServiceBroker[] = [];
		try {
			for (const config of configs) brokers.push(await startBroker(config, [inventoryService(config)]));
			const [a, b] = brokers as [ServiceBroker, ServiceBroker];
			const sku = `HOT-${uniqueId()}`;
			await a.call("inventory.setStock", { sku, available: 300 });
			// Each actor reads the row once; b's write then makes a's copy stale, so a's next batch must lose
			// the fence (without this, one actor may simply read the row after the other sold out).
			await a.call("inventory.reserve", { orderId: "warm-a", sku, quantity: 1 });
			await b.call("inventory.reserve", { orderId: "warm-b", sku, quantity: 1 });

			const attempts = Array.from({ length: 1000 }, (_, i) =>
				(i % 2 ? a : b).call("inventory.reserve", { orderId: `o${i}`, sku, quantity: 1 }),
			);
			const outcomes = await Promise.allSettled(attempts);
			const reserved = outcomes.filter((o) => o.status === "fulfilled").length + 2;
			for (const o of outcomes) {
				if (o.status === "rejected") expect(["INSUFFICIENT_STOCK", "INVENTORY_UNAVAILABLE"]).toContain(o.reason.type);
			}

			const audit = (await auditInventory(infra.databaseUrl, databaseNameFor(configs[0] as never, "inventory"))).get(
				sku,
			);
			expectConsistent(audit as never, 300);
			expect(audit?.reserved).toBe(reserved);
			expect(audit?.reservationRows).toBe(reserved);
			expect(reserved).toBeLessThanOrEqual(300);
			// Both actors wrote, so at least one of them must have lost the fence and redone its batch.
			const conflicts = brokers.reduce((sum, x) => sum + metricTotal(x, "shop_inventory_fence_conflicts_total"), 0);
			expect(conflicts).toBeGreaterThan(0);
		} finally {
			await Promise.all(brokers.map((x) => x.stop()));
		}
	});

	it("when another node changes a SKU this node holds as sold out, then this node stops refusing from memory within seconds", async () => {
		const prefix = `shop_t${uniqueId()}_`;
		// Two brokers without a transporter, as after ownership moved from one node to the other and back.
		const configs = [0, 1].map((i) =>
			testConfig({ ...mariadb(), DB_NAME_PREFIX: prefix, NODE_ID: `stale-${i}-${uniqueId()}`, ...METRICS_ON }),
		);
		const brokers: ServiceBroker[] = [];
		try {
			for (const config of configs) brokers.push(await startBroker(config, [inventoryService(config)]));
			const [a, b] = brokers as [ServiceBroker, ServiceBroker];
			const sku = `MOVED-${uniqueId()}`;
			const reserve = (node: ServiceBroker, orderId: string) =>
				node.call<{ status: string }, object>("inventory.reserve", { orderId, sku, quantity: 1 });
			await a.call("inventory.setStock", { sku, available: 1 });
			await reserve(a, "first");
			await expect(reserve(a, "refused")).rejects.toMatchObject({ type: "INSUFFICIENT_STOCK" });

			// The other node restocks and takes an order; this node still holds the SKU as sold out.
			await b.call("inventory.setStock", { sku, delta: 3 });
			const taken = await reserve(b, "elsewhere");

			// Within a few seconds this node sees it: the order keeps its reservation, new orders get the stock.
			const repeat = await waitFor(
				"the node to read the SKU again",
				async () => {
					const outcome = await reserve(a, "elsewhere").catch(() => undefined);
					return outcome;
				},
				10_000,
				200,
			);
			expect(repeat).toEqual(taken);
			expect(await reserve(a, "newcomer")).toMatchObject({ status: "RESERVED" });
			expect(metricTotal(a, "shop_inventory_stale_states_total")).toBeGreaterThan(0);
			expect(metricTotal(b, "shop_inventory_stale_states_total")).toBe(0);
			const audit = (await auditInventory(infra.databaseUrl, databaseNameFor(configs[0] as never, "inventory"))).get(
				sku,
			);
			expectConsistent(audit as never, 4);
			expect(audit).toMatchObject({ available: 1, reserved: 3 });
		} finally {
			await Promise.all(brokers.map((x) => x.stop()));
		}
	});

	it("when the first of two pipelined batches loses the fence, then both are redone in arrival order", async () => {
		const config = testConfig({
			...mariadb(),
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			// Ten reserves arrive at once and make two batches of five: the second is decided on top of the
			// first while the first commits.
			INVENTORY_CALL_BATCHING: "false",
			INVENTORY_MAX_BATCH: "5",
			...METRICS_ON,
		});
		const broker = await startBroker(config, [inventoryService(config)]);
		const database = databaseNameFor(config, "inventory");
		const db = new Sequelize(`${infra.databaseUrl}/${database}`, { logging: false });
		try {
			const sku = `PIPE-${uniqueId()}`;
			await broker.call("inventory.setStock", { sku, available: 7 });
			// Another writer commits behind the actor's back: same stock, newer version.
			await db.query("UPDATE stock SET version = version + 1 WHERE sku = ?", { replacements: [sku] });

			const outcomes = await Promise.allSettled(
				Array.from({ length: 10 }, (_, i) => broker.call("inventory.reserve", { orderId: `p${i}`, sku, quantity: 1 })),
			);
			// First come, first served even though both batches were redone: p0..p6 get the 7 units.
			expect(outcomes.map((o) => o.status)).toEqual([...Array(7).fill("fulfilled"), ...Array(3).fill("rejected")]);
			for (const o of outcomes.slice(7)) expect((o as PromiseRejectedResult).reason.type).toBe("INSUFFICIENT_STOCK");
			const audit = (await auditInventory(infra.databaseUrl, database)).get(sku);
			expectConsistent(audit as never, 7);
			expect(audit).toMatchObject({ available: 0, reserved: 7, reservationRows: 7 });
			expect(metricTotal(broker, "shop_inventory_fence_conflicts_total")).toBeGreaterThan(0);
			// Every committed batch reports its four phases, on both commit paths.
			const committed = histogramTotals(broker, "shop_inventory_batch_duration_ms").count;
			expect(committed).toBeGreaterThanOrEqual(3);
			for (const phase of ["prepare", "write", "wait_previous", "commit"]) {
				expect(histogramTotals(broker, "shop_inventory_batch_phase_ms", { phase }).count).toBe(committed);
			}
			expect(histogramTotals(broker, "shop_inventory_batch_phase_ms", { phase: "write" }).sum).toBeGreaterThan(0);
			expect(histogramTotals(broker, "shop_inventory_batch_phase_ms", { phase: "commit" }).sum).toBeGreaterThan(0);
		} finally {
			await db.close();
			await broker.stop();
		}
	});

	it("when the reservation cache is trimmed while batches are in flight, then a release still finds a reservation being committed", async () => {
		const config = testConfig({
			...mariadb(),
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			INVENTORY_CALL_BATCHING: "false",
			INVENTORY_MAX_BATCH: "2",
			// Every batch overflows the cache: only rows of batches that may still be committing are kept.
			INVENTORY_RESERVATION_CACHE: "1",
		});
		const broker = await startBroker(config, [inventoryService(config)]);
		try {
			const sku = `TRIM-${uniqueId()}`;
			await broker.call("inventory.setStock", { sku, available: 10 });
			// Batch 1 reserves a and b; batch 2 (decided while batch 1 commits) releases them.
			const outcomes = await Promise.allSettled([
				broker.call("inventory.reserve", { orderId: "a", sku, quantity: 2 }),
				broker.call("inventory.reserve", { orderId: "b", sku, quantity: 3 }),
				broker.call("inventory.release", { orderId: "a", sku }),
				broker.call("inventory.release", { orderId: "b", sku }),
			]);
			expect(
				outcomes.map((o) => (o.status === "fulfilled" ? (o.value as { status: string }).status : o.reason.type)),
			).toEqual(["RESERVED", "RESERVED", "RELEASED", "RELEASED"]);
			const audit = (await auditInventory(infra.databaseUrl, databaseNameFor(config, "inventory"))).get(sku);
			expectConsistent(audit as never, 10);
			expect(audit).toMatchObject({ available: 10, reserved: 0, reservationRows: 2 });
		} finally {
			await broker.stop();
		}
	});

	it("when an order reserves again after its reservation left the actor's memory, then it gets the original reservation, with stock left or sold out", async () => {
		const config = testConfig({
			...mariadb(),
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			INVENTORY_CALL_BATCHING: "false",
			// New orders' reserves are not looked up (the INSERT's unique key proves them new), so a repeat
			// of an order the actor no longer holds in memory must be caught by the key or by the refusal check.
			INVENTORY_RESERVATION_CACHE: "1",
			...METRICS_ON,
		});
		const broker = await startBroker(config, [inventoryService(config)]);
		const reserve = (orderId: string, sku: string, quantity: number) =>
			broker.call<{ status: string; quantity: number }, object>("inventory.reserve", { orderId, sku, quantity });
		try {
			const sku = `OLD-${uniqueId()}`;
			await broker.call("inventory.setStock", { sku, available: 10 });
			const first = await reserve("first", sku, 3);
			for (let i = 0; i < 4; i++) await reserve(`filler-${i}`, sku, 1);
			// Stock left: the repeat would be granted again, but the INSERT finds the original.
			expect(await reserve("first", sku, 3)).toEqual(first);
			expect(await broker.call("inventory.getStock", { sku })).toMatchObject({ available: 3, reserved: 7 });
			// Sold out: the repeat would be refused, but the refusal is checked against the stored ones.
			await reserve("last", sku, 3);
			expect(await reserve("first", sku, 3)).toEqual(first);
			await expect(reserve("newcomer", sku, 1)).rejects.toMatchObject({ type: "INSUFFICIENT_STOCK" });
			// Concurrently, mixed with new orders: the batch that meets the original is redone, nothing doubles.
			await broker.call("inventory.setStock", { sku, delta: 5 });
			const mixed = await Promise.allSettled([
				reserve("first", sku, 3),
				reserve("fresh-1", sku, 2),
				reserve("filler-0", sku, 1),
				reserve("fresh-2", sku, 2),
			]);
			expect(mixed.map((o) => (o.status === "fulfilled" ? o.value.status : o.reason.type))).toEqual([
				"RESERVED",
				"RESERVED",
				"RESERVED",
				"RESERVED",
			]);
			const audit = (await auditInventory(infra.databaseUrl, databaseNameFor(config, "inventory"))).get(sku);
			expectConsistent(audit as never, 15);
			expect(audit).toMatchObject({ available: 1, reserved: 14, reservationRows: 8 });
			// Each repeat the key caught redid its batch as a duplicate, not as a conflict with another writer.
			expect(metricTotal(broker, "shop_inventory_duplicate_reservations_total")).toBeGreaterThanOrEqual(2);
			expect(metricTotal(broker, "shop_inventory_fence_conflicts_total")).toBe(0);
		} finally {
			await broker.stop();
		}
	});

	it("when a SKU sells out, then later reserves are rejected from memory but a repeated successful order keeps its reservation", async () => {
		const config = testConfig({
			...mariadb(),
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			...METRICS_ON,
		});
		const broker = await startBroker(config, [inventoryService(config)]);
		try {
			const sku = `SOLD-${uniqueId()}`;
			await broker.call("inventory.setStock", { sku, available: 3 });
			const winner = await broker.call("inventory.reserve", { orderId: "winner", sku, quantity: 3 });
			for (let i = 0; i < 10; i++) {
				await expect(
					broker.call("inventory.reserve", { orderId: `late-${i}`, sku, quantity: 1 }),
				).rejects.toMatchObject({
					type: "INSUFFICIENT_STOCK",
				});
			}
			expect(await broker.call("inventory.reserve", { orderId: "winner", sku, quantity: 3 })).toEqual(winner);
			expect([9, 10]).toContain(metricTotal(broker, "shop_inventory_sold_out_rejects_total"));
		} finally {
			await broker.stop();
		}
	});

	it("when a burst exceeds the mailbox depth, then the excess gets QUEUE_FULL at once and nothing partial is written", async () => {
		const config = testConfig({
			...mariadb(),
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			INVENTORY_MAILBOX_DEPTH: "20",
			INVENTORY_MAX_BATCH: "10",
		});
		const broker = await startBroker(config, [inventoryService(config)]);
		try {
			const sku = `BURST-${uniqueId()}`;
			await broker.call("inventory.setStock", { sku, available: 1000 });
			const outcomes = await Promise.allSettled(
				Array.from({ length: 500 }, (_, i) => broker.call("inventory.reserve", { orderId: `b${i}`, sku, quantity: 1 })),
			);
			const full = outcomes.filter((o) => o.status === "rejected" && o.reason.type === "QUEUE_FULL").length;
			const ok = outcomes.filter((o) => o.status === "fulfilled").length;
			expect(full).toBeGreaterThan(0);
			expect(ok + full).toBe(500);
			const audit = (await auditInventory(infra.databaseUrl, databaseNameFor(config, "inventory"))).get(sku);
			expectConsistent(audit as never, 1000);
			expect(audit?.reserved).toBe(ok);
		} finally {
			await broker.stop();
		}
	});
});
