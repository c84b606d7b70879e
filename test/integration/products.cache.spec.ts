import type { ServiceBroker } from "moleculer";
import type { Product } from "../../services/products/products.repository";
import productsService from "../../services/products/products.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { infra } from "../support/infra";

/**
 * The catalog cache over two products nodes on one database (NATS, MariaDB): a write on either node is
 * read at once on both, and a read that is cached costs no query.
 */
describe("the catalog cache on two products nodes", () => {
	const env = {
		TRANSPORTER: infra.natsUrl,
		DATABASE_URL: infra.databaseUrl,
		DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
		NAMESPACE: `test-cache-${uniqueId()}`,
		CATALOG_CACHE_TTL_S: "60",
	};
	const brokers: ServiceBroker[] = [];
	let nodeA: ServiceBroker;
	let nodeB: ServiceBroker;
	const category = `cat-${uniqueId()}`;

	beforeAll(async () => {
		for (const name of ["a", "b"]) {
			const config = testConfig({ ...env, NODE_ID: `products-${name}-${uniqueId()}` });
			brokers.push(await startBroker(config, [productsService(config)]));
		}
		[nodeA, nodeB] = brokers as [ServiceBroker, ServiceBroker];
		await nodeA.waitForServices("products");
		// Each node must see the other's products service before a broadcast can reach it.
		for (;;) {
			const nodes = nodeA.registry.getServiceList({ onlyAvailable: true }).filter((s) => s.name === "products");
			if (nodes.length >= 2) break;
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
	});
	afterAll(() => Promise.all(brokers.map((broker) => broker.stop())));

	/** An action on exactly that node (not wherever the balancer would send it). */
	const on = <T>(broker: ServiceBroker, action: string, params: object) =>
		brokers[0]?.call<T, object>(action, params, { nodeID: broker.nodeID }) as Promise<T>;

	it("a product renamed on one node reads renamed at once on the other, in get, getMany, getManyBySku and list", async () => {
		const sku = `CACHE-${uniqueId()}`;
		const created = await on<Product>(nodeA, "products.create", {
			sku,
			name: "Old name",
			category,
			priceCents: 100,
			currency: "EUR",
		});
		const reads = (broker: ServiceBroker) =>
			Promise.all([
				on<Product>(broker, "products.get", { id: created.id }).then((p) => p.name),
				on<Product[]>(broker, "products.getMany", { ids: [created.id] }).then((p) => p[0]?.name),
				on<Product[]>(broker, "products.getManyBySku", { skus: [sku] }).then((p) => p[0]?.name),
				on<{ items: Product[] }>(broker, "products.list", { category }).then((page) => page.items[0]?.name),
			]);
		// Warm both nodes' caches.
		expect(await reads(nodeA)).toEqual(Array(4).fill("Old name"));
		expect(await reads(nodeB)).toEqual(Array(4).fill("Old name"));

		await on(nodeB, "products.replace", {
			id: created.id,
			name: "New name",
			category,
			priceCents: 250,
			currency: "EUR",
			active: true,
		});
		// The writer's own cache is cleared before it answers; the other node's by the broadcast, one hop later.
		expect(await reads(nodeB)).toEqual(Array(4).fill("New name"));
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(await reads(nodeA)).toEqual(Array(4).fill("New name"));

		await on(nodeA, "products.remove", { id: created.id });
		await new Promise((resolve) => setTimeout(resolve, 200));
		for (const broker of [nodeA, nodeB]) {
			await expect(on(broker, "products.get", { id: created.id })).rejects.toMatchObject({ code: 404 });
			expect(await on<{ total: number }>(broker, "products.list", { category })).toMatchObject({ total: 0 });
		}
	});

	it("a cached read does not reach the database", async () => {
		const sku = `CACHE-${uniqueId()}`;
		const created = await on<Product>(nodeA, "products.create", {
			sku,
			name: "Counted",
			category,
			priceCents: 100,
			currency: "EUR",
		});
		const service = nodeA.getLocalService("products") as unknown as {
			sequelize: { query: (...args: unknown[]) => Promise<unknown> };
		};
		const realQuery = service.sequelize.query.bind(service.sequelize);
		let queries = 0;
		service.sequelize.query = (...args: unknown[]) => {
			queries++;
			return realQuery(...args);
		};
		try {
			await on(nodeA, "products.get", { id: created.id });
			const afterFirst = queries;
			for (let i = 0; i < 5; i++) await on(nodeA, "products.get", { id: created.id });
			expect(afterFirst).toBe(1);
			expect(queries).toBe(1);
		} finally {
			service.sequelize.query = realQuery;
		}
	});
});
