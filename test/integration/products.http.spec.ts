import type { ServiceBroker } from "moleculer";
import { QueryTypes, type Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { signAccessToken } from "../../lib/auth/access-token";
import authService from "../../services/auth/auth.service";
import gatewayService from "../../services/gateway/api.service";
import productsService from "../../services/products/products.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { api, ERROR_SHAPE, gatewayBaseUrl, type JsonResponse } from "../support/http";
import { infra } from "../support/infra";

describe.each([
	["MariaDB", { DATABASE_URL: infra.databaseUrl }],
	["SQLite", {}],
])("products over HTTP on %s", (_label, env) => {
	let broker: ServiceBroker;
	let config: AppConfig;
	let base: string;
	let admin: string;
	let customer: string;
	/** Every product of this run is in its own category, so listings see only this run's. */
	const category = `cat-${uniqueId()}`;

	beforeAll(async () => {
		config = testConfig({ ...env, DB_NAME_PREFIX: `shop_t${uniqueId()}_` });
		broker = await startBroker(config, [gatewayService(config), authService(config), productsService(config)]);
		base = gatewayBaseUrl(broker);
		admin = await signAccessToken({ sub: "ops", roles: ["admin"] }, config.auth);
		customer = await signAccessToken({ sub: "shopper", roles: ["customer"] }, config.auth);
	});
	afterAll(() => broker?.stop());

	const call = (method: string, path: string, body?: unknown, token?: string): Promise<JsonResponse> =>
		api(base, method, `/api/products${path}`, body, token ? { authorization: `Bearer ${token}` } : {});
	const mug = (over: Record<string, unknown> = {}) => ({
		sku: `MUG-${uniqueId()}`,
		name: "Enamel mug",
		description: "Holds 350 ml.\nDishwasher safe.",
		category,
		priceCents: 1299,
		currency: "EUR",
		...over,
	});
	const db = () => (broker.getLocalService("products") as unknown as { sequelize: Sequelize }).sequelize;
	const eventsFor = (id: string) =>
		db().query<{ topic: string; envelope: string }>(
			"SELECT topic, envelope FROM outbox_events WHERE event_key = ? ORDER BY id",
			{ replacements: [id], type: QueryTypes.SELECT },
		);

	it("when an operator creates a product, then anyone can read it and its upserted event is in the outbox", async () => {
		const created = await call("POST", "/", mug(), admin);
		expect(created.status).toBe(201);
		expect(created.headers.get("location")).toBe(`/api/products/${created.body.id}`);
		expect(created.body).toMatchObject({
			name: "Enamel mug",
			priceCents: 1299,
			currency: "EUR",
			active: true,
			version: 1,
		});
		const read = await call("GET", `/${created.body.id}`);
		expect(read.status).toBe(200);
		expect(read.body).toEqual(created.body);
		const events = await eventsFor(created.body.id);
		expect(events.map((e) => e.topic)).toEqual(["product.upserted.v1"]);
		expect(JSON.parse(events[0]?.envelope as string).payload).toMatchObject({
			id: created.body.id,
			version: 1,
			priceCents: 1299,
		});
	});

	it("when a shopper or nobody writes, then it is 403 or 401 and nothing is stored", async () => {
		const product = mug();
		expect((await call("POST", "/", product, customer)).status).toBe(403);
		expect((await call("POST", "/", product)).status).toBe(401);
		const found = await call("GET", `/?category=${category}&q=${product.sku}`);
		expect(found.body.total).toBe(0);
	});

	it("when a SKU is taken, then it is 409 SKU_TAKEN; bad fields are 400; neither stores or emits anything", async () => {
		const first = await call("POST", "/", mug(), admin);
		const again = await call("POST", "/", mug({ sku: first.body.sku, name: "Other" }), admin);
		expect(again.status).toBe(409);
		expect(again.body).toMatchObject({ ...ERROR_SHAPE, error: { code: "SKU_TAKEN" } });
		for (const bad of [
			mug({ priceCents: 12.5 }),
			mug({ priceCents: -1 }),
			mug({ currency: "eur" }),
			mug({ category: "Has Spaces" }),
			mug({ name: "" }),
			mug({ color: "red" }),
		]) {
			const res = await call("POST", "/", bad, admin);
			expect(res.status).toBe(400);
			expect((await call("GET", `/?category=${category}&q=${bad.sku}`)).body.total).toBe(0);
		}
		expect(await eventsFor(first.body.id)).toHaveLength(1);
	});

	it("when a product is replaced and deleted, then its version moves and each change has its event", async () => {
		const { body: created } = await call("POST", "/", mug(), admin);
		// The SKU is not a field of a replace: stock and orders refer to it.
		const renamed = await call("PUT", `/${created.id}`, { ...mug(), name: "Bigger mug", priceCents: 1599 }, admin);
		expect(renamed.status).toBe(400);
		const ok = await call(
			"PUT",
			`/${created.id}`,
			{ name: "Bigger mug", category, priceCents: 1599, currency: "EUR" },
			admin,
		);
		expect(ok.status).toBe(200);
		expect(ok.body).toMatchObject({ sku: created.sku, name: "Bigger mug", priceCents: 1599, version: 2 });
		expect((await call("DELETE", `/${created.id}`, undefined, admin)).status).toBe(204);
		expect((await call("GET", `/${created.id}`)).status).toBe(404);
		expect((await call("DELETE", `/${created.id}`, undefined, admin)).status).toBe(404);
		const events = (await eventsFor(created.id)).map((e) => [e.topic, JSON.parse(e.envelope).payload.version]);
		expect(events).toEqual([
			["product.upserted.v1", 1],
			["product.upserted.v1", 2],
			["product.deleted.v1", 3],
		]);
	});

	describe("listing", () => {
		const listCategory = `list-${uniqueId()}`;
		const names = ["Alpha tee", "Beta cap", "Gamma 100%_cotton scarf", "Delta sock", "Epsilon hoodie"];

		beforeAll(async () => {
			for (const [i, name] of names.entries()) {
				const res = await call(
					"POST",
					"/",
					mug({ name, category: listCategory, priceCents: 1000 * (i + 1), active: i !== 3 }),
					admin,
				);
				expect(res.status).toBe(201);
			}
		});
		const list = async (query: string) => (await call("GET", `/?category=${listCategory}&${query}`)).body;

		it("when a page is asked for, then it holds `size` active products and the total counts them all", async () => {
			const first = await list("size=2&sort=price_asc");
			expect(first).toMatchObject({ page: 1, size: 2, total: 4 });
			expect(first.items.map((p: { name: string }) => p.name)).toEqual(["Alpha tee", "Beta cap"]);
			const third = await list("size=2&page=2&sort=price_asc");
			expect(third.items.map((p: { name: string }) => p.name)).toEqual(["Gamma 100%_cotton scarf", "Epsilon hoodie"]);
			expect((await list("activeOnly=false")).total).toBe(5);
		});

		it("when sorted, filtered by price or searched, then only the matching products come, in order", async () => {
			expect((await list("sort=price_desc")).items[0].name).toBe("Epsilon hoodie");
			expect((await list("sort=name")).items.map((p: { name: string }) => p.name)).toEqual([
				"Alpha tee",
				"Beta cap",
				"Epsilon hoodie",
				"Gamma 100%_cotton scarf",
			]);
			expect((await list("minPriceCents=2000&maxPriceCents=3000")).total).toBe(2);
			expect((await list("q=HOODIE")).items.map((p: { name: string }) => p.name)).toEqual(["Epsilon hoodie"]);
			// `%` and `_` are letters in a search, not wildcards.
			expect((await list("q=0%25_c")).total).toBe(1);
			expect((await list("q=a_e")).total).toBe(0);
		});

		it("when the query is malformed, then it is 400", async () => {
			for (const query of ["size=0", "size=101", "page=0", "sort=random", "minPriceCents=cheap", "colour=red"]) {
				expect((await call("GET", `/?${query}`)).status).toBe(400);
			}
		});
	});
});
