/**
 * Memory stays bounded however many SKUs a node is asked about: actors beyond INVENTORY_MAX_ACTORS and
 * actors idle for INVENTORY_ACTOR_IDLE_S are dropped, and a dropped SKU's state comes back from the
 * database, unchanged, on its next command.
 */
import type { ServiceBroker } from "moleculer";
import inventoryService from "../../services/inventory/inventory.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { waitFor } from "../support/events/harness";
import { infra } from "../support/infra";
import { METRICS_ON, metricTotal } from "../support/metrics";

interface ActorStats {
	actors: number;
}

describe.each([
	["MariaDB", { DATABASE_URL: infra.databaseUrl }],
	["SQLite", {}],
])("inventory actors on %s", (_label, env) => {
	const brokers: ServiceBroker[] = [];
	afterEach(async () => {
		await Promise.all(brokers.splice(0).map((b) => b.stop()));
	});

	async function start(extra: Record<string, string>): Promise<ServiceBroker> {
		const config = testConfig({ ...env, DB_NAME_PREFIX: `shop_t${uniqueId()}_`, ...extra });
		const broker = await startBroker(config, [inventoryService(config)]);
		brokers.push(broker);
		return broker;
	}
	const liveActors = async (broker: ServiceBroker) =>
		(await broker.call<ActorStats, object>("inventory.actorStats", {})).actors;

	it("when more SKUs are written than the cap allows, then the live actors never exceed it and an evicted SKU resumes where it was", async () => {
		const broker = await start({ INVENTORY_MAX_ACTORS: "20", INVENTORY_ACTOR_IDLE_S: "3600" });
		const skus = Array.from({ length: 100 }, (_, i) => `CAP-${i}-${uniqueId()}`);
		let most = 0;
		for (const sku of skus) {
			await broker.call("inventory.setStock", { sku, available: 10 });
			most = Math.max(most, await liveActors(broker));
		}
		expect(most).toBeLessThanOrEqual(20);

		const first = skus[0] as string;
		const reserved = await broker.call("inventory.reserve", { orderId: "o-cap", sku: first, quantity: 3 });
		expect(await broker.call("inventory.getStock", { sku: first })).toMatchObject({
			available: 7,
			reserved: 3,
			version: 2,
		});
		// Evict it again: the repeated order still gets its original reservation, and stock moves once.
		for (const sku of skus.slice(40, 80)) await broker.call("inventory.setStock", { sku, delta: 1 });
		expect(await broker.call("inventory.reserve", { orderId: "o-cap", sku: first, quantity: 5 })).toEqual(reserved);
		expect(await broker.call("inventory.getStock", { sku: first })).toMatchObject({ available: 7, reserved: 3 });
	});

	it("when many SKUs are written at once, then busy actors may pass the cap for a moment and the next eviction brings it back", async () => {
		const broker = await start({ INVENTORY_MAX_ACTORS: "20", INVENTORY_ACTOR_IDLE_S: "3600" });
		const skus = Array.from({ length: 100 }, (_, i) => `BURST-${i}-${uniqueId()}`);
		await Promise.all(skus.map((sku) => broker.call("inventory.setStock", { sku, available: 4 })));
		await waitFor(
			"the cap to hold again",
			async () => ((await liveActors(broker)) <= 20 ? true : undefined),
			5000,
			100,
		);
		const stocks = await Promise.all(
			skus.map((sku) => broker.call<{ available: number }, object>("inventory.getStock", { sku })),
		);
		expect(stocks.map((s) => s.available)).toEqual(skus.map(() => 4));
	});

	it("when actors stay idle past INVENTORY_ACTOR_IDLE_S, then they are dropped", async () => {
		const broker = await start({ INVENTORY_ACTOR_IDLE_S: "1" });
		for (let i = 0; i < 5; i++)
			await broker.call("inventory.setStock", { sku: `IDLE-${i}-${uniqueId()}`, available: 1 });
		expect(await liveActors(broker)).toBeGreaterThan(0);
		await waitFor(
			"idle actors to be dropped",
			async () => ((await liveActors(broker)) === 0 ? true : undefined),
			5000,
			100,
		);
	});

	it("when a SKU with more reservations than the actor keeps in memory sells out, then new orders are still refused from memory and earlier ones keep their reservation", async () => {
		const broker = await start({ INVENTORY_RESERVATION_CACHE: "5", INVENTORY_CALL_BATCHING: "false", ...METRICS_ON });
		const sku = `BIG-${uniqueId()}`;
		const reserve = (orderId: string) => broker.call("inventory.reserve", { orderId, sku, quantity: 1 });
		const fastRejects = () => metricTotal(broker, "shop_inventory_sold_out_rejects_total");
		await broker.call("inventory.setStock", { sku, available: 30 });
		const early: unknown[] = [];
		for (let i = 0; i < 30; i++) early.push(await reserve(`early-${i}`));

		// Sold out with 30 reservations and room for 5: the first refusals go through a batch while the
		// actor reads which orders hold one; from then on they are answered from memory.
		await waitFor("refusals from memory", async () => {
			await expect(reserve(`late-${uniqueId()}`)).rejects.toMatchObject({ type: "INSUFFICIENT_STOCK" });
			return fastRejects() > 0 ? true : undefined;
		});
		const before = fastRejects();
		for (let i = 0; i < 20; i++) {
			await expect(reserve(`late-${i}`)).rejects.toMatchObject({ type: "INSUFFICIENT_STOCK" });
		}
		expect(fastRejects() - before).toBe(20);
		// Orders the actor no longer holds in memory still get their original reservation, not a refusal.
		expect(await reserve("early-0")).toEqual(early[0]);
		expect(await reserve("early-17")).toEqual(early[17]);
		expect(fastRejects() - before).toBe(20);
		expect(await broker.call("inventory.getStock", { sku })).toMatchObject({ available: 0, reserved: 30 });

		// Releases bring units back; the orders that take them are remembered too (more of them than the
		// actor keeps in memory), once sold out again.
		for (let i = 1; i <= 8; i++) {
			expect(await broker.call("inventory.release", { orderId: `early-${i}`, sku })).toMatchObject({
				status: "RELEASED",
			});
		}
		const newcomers: unknown[] = [];
		for (let i = 0; i < 8; i++) newcomers.push(await reserve(`newcomer-${i}`));
		await expect(reserve("late-0")).rejects.toMatchObject({ type: "INSUFFICIENT_STOCK" });
		for (let i = 0; i < 8; i++) expect(await reserve(`newcomer-${i}`)).toEqual(newcomers[i]);
		expect(await broker.call("inventory.getStock", { sku })).toMatchObject({ available: 0, reserved: 30 });
	});
});
