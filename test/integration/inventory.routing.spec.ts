import type { ServiceBroker } from "moleculer";
import authService from "../../services/auth/auth.service";
import gatewayService from "../../services/gateway/api.service";
import type { ActorRegistry } from "../../services/inventory/actor/actor-registry";
import inventoryService from "../../services/inventory/inventory.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { asOperator, gatewayBaseUrl } from "../support/http";
import { infra } from "../support/infra";
import { METRICS_ON, requestCount } from "../support/metrics";

function actorsOn(broker: ServiceBroker): number {
	return (broker.getLocalService("inventory") as unknown as { actors: ActorRegistry }).actors.size;
}

/**
 * moleculer-web picks an alias's endpoint before the action's params exist; SKU-routed inventory
 * calls from the gateway must still reach each SKU's owner (one actor per SKU in the cluster) and
 * reserves must still travel grouped.
 */
describe("inventory calls through the gateway, two inventory nodes over NATS", () => {
	const env = {
		NAMESPACE: `routing-${uniqueId()}`,
		TRANSPORTER: infra.natsUrl,
		DATABASE_URL: infra.databaseUrl,
		DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
	};
	let edge: ServiceBroker;
	let owners: ServiceBroker[];
	let api: Awaited<ReturnType<typeof asOperator>>["api"];

	beforeAll(async () => {
		const edgeConfig = testConfig({
			...env,
			NODE_ID: `edge-${uniqueId()}`,
			...METRICS_ON,
		});
		const ownerConfigs = [1, 2].map((n) => testConfig({ ...env, NODE_ID: `inventory-${n}-${uniqueId()}` }));
		owners = await Promise.all(ownerConfigs.map((c) => startBroker(c, [inventoryService(c)])));
		edge = await startBroker(edgeConfig, [gatewayService(edgeConfig), authService(edgeConfig)]);
		({ api } = await asOperator(edgeConfig.auth));
		const deadline = Date.now() + 15_000;
		while ((edge.registry.getActionEndpoints("inventory.reserve")?.count() ?? 0) < 2) {
			if (Date.now() > deadline) throw new Error("the edge did not see both inventory nodes");
			await new Promise((r) => setTimeout(r, 100));
		}
	}, 30_000);
	afterAll(async () => {
		await Promise.all([edge?.stop(), ...(owners ?? []).map((b) => b.stop())]);
	});

	it("when 20 SKUs are stocked, reserved, released and confirmed over HTTP, then each SKU has one actor in the cluster", async () => {
		const base = gatewayBaseUrl(edge);
		const skus = Array.from({ length: 20 }, (_, i) => `ROUTE-${uniqueId()}-${i}`);
		for (const sku of skus) {
			expect((await api(base, "POST", "/api/inventory/stock", { sku, available: 10 })).status).toBe(200);
			for (let order = 0; order < 3; order++) {
				const reserved = await api(base, "POST", "/api/inventory/reserve", { orderId: `o${order}`, sku, quantity: 1 });
				expect(reserved.status).toBe(200);
			}
			expect((await api(base, "POST", "/api/inventory/release", { orderId: "o0", sku })).status).toBe(200);
			expect((await api(base, "POST", "/api/inventory/confirm", { orderId: "o1", sku })).status).toBe(200);
			const stock = await api(base, "GET", `/api/inventory/stock/${sku}`);
			expect(stock.body).toMatchObject({ available: 8, reserved: 1, confirmed: 1 });
		}
		// Routed by SKU, 20 SKUs make 20 actors over both nodes; routed at random they make ~30.
		expect(actorsOn(owners[0] as ServiceBroker) + actorsOn(owners[1] as ServiceBroker)).toBe(20);
		expect(actorsOn(owners[0] as ServiceBroker)).toBeGreaterThan(0);
		expect(actorsOn(owners[1] as ServiceBroker)).toBeGreaterThan(0);
	}, 60_000);

	it("when 100 reserves of one SKU arrive over HTTP at once, then they travel as a few grouped calls", async () => {
		const base = gatewayBaseUrl(edge);
		const sku = `GROUP-${uniqueId()}`;
		await api(base, "POST", "/api/inventory/stock", { sku, available: 1000 });
		const before = requestCount(edge, "inventory.reserveBatch");
		const replies = await Promise.all(
			Array.from({ length: 100 }, (_, i) =>
				api(base, "POST", "/api/inventory/reserve", { orderId: `g${i}`, sku, quantity: 1 }),
			),
		);
		expect(replies.map((r) => r.status)).toEqual(Array(100).fill(200));
		expect(replies.map((r) => r.body.orderId)).toEqual(Array.from({ length: 100 }, (_, i) => `g${i}`));
		const grouped = requestCount(edge, "inventory.reserveBatch") - before;
		expect(grouped).toBeGreaterThan(0);
		expect(grouped).toBeLessThan(100);
		expect(requestCount(edge, "inventory.reserve")).toBe(0);
	}, 30_000);
});
