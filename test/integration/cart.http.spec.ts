import { randomUUID } from "node:crypto";
import type { ServiceBroker } from "moleculer";
import { signAccessToken } from "../../lib/auth/access-token";
import authService from "../../services/auth/auth.service";
import cartService from "../../services/cart/cart.service";
import gatewayService from "../../services/gateway/api.service";
import productsService from "../../services/products/products.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { api, ERROR_SHAPE, gatewayBaseUrl, type JsonResponse } from "../support/http";
import { infra } from "../support/infra";

describe.each([
	["MariaDB and Redis", { DATABASE_URL: infra.databaseUrl, REDIS_URL: infra.redisUrl }],
	["SQLite and memory", {}],
])("cart over HTTP on %s", (_label, env) => {
	let broker: ServiceBroker;
	let base: string;
	let admin: string;
	let mug: { id: string };
	let tee: { id: string };

	beforeAll(async () => {
		const config = testConfig({ ...env, DB_NAME_PREFIX: `shop_t${uniqueId()}_` });
		broker = await startBroker(config, [
			gatewayService(config),
			authService(config),
			productsService(config),
			cartService(config),
		]);
		base = gatewayBaseUrl(broker);
		admin = await signAccessToken({ sub: "ops", roles: ["admin"] }, config.auth);
		const product = async (name: string, priceCents: number) =>
			(
				await api(
					base,
					"POST",
					"/api/products",
					{ sku: `C-${uniqueId()}`, name, category: "cart-test", priceCents, currency: "EUR" },
					{ authorization: `Bearer ${admin}` },
				)
			).body;
		mug = await product("Mug", 1200);
		tee = await product("Tee", 2000);
	});
	afterAll(() => broker?.stop());

	const cart = (method: string, path: string, body?: unknown, token?: string): Promise<JsonResponse> =>
		api(base, method, `/api/cart${path}`, body, token ? { authorization: `Bearer ${token}` } : {});
	const shopperToken = async () =>
		(
			await api(base, "POST", "/api/auth/signup", {
				email: `c-${uniqueId()}@example.com`,
				password: "a long enough password",
			})
		).body.accessToken as string;

	it("when a guest adds without a cart, then it gets one; adding again adds up; totals are at current prices", async () => {
		const first = await cart("POST", "/items", { productId: mug.id, quantity: 2 });
		expect(first.status).toBe(200);
		const { cartId } = first.body;
		expect(cartId).toMatch(/^[0-9a-f-]{36}$/);
		await cart("POST", "/items", { cartId, productId: mug.id });
		await cart("POST", "/items", { cartId, productId: tee.id, quantity: 1 });
		const read = await cart("GET", `/?cartId=${cartId}`);
		expect(read.body).toMatchObject({
			cartId,
			itemCount: 4,
			totals: { EUR: 3 * 1200 + 2000 },
			items: [
				{ productId: mug.id, name: "Mug", quantity: 3, priceCents: 1200, priceChanged: false, available: true },
				{ productId: tee.id, quantity: 1 },
			],
		});
	});

	it("when neither a token nor a cartId is sent, then it is 400 CART_ID_REQUIRED", async () => {
		const res = await cart("GET", "/");
		expect(res.status).toBe(400);
		expect(res.body).toMatchObject({ ...ERROR_SHAPE, error: { code: "CART_ID_REQUIRED" } });
	});

	it("when a product is unknown or inactive, or a quantity is out of range, then nothing is added", async () => {
		const { body } = await cart("POST", "/items", { productId: mug.id });
		const { cartId } = body;
		const unknown = await cart("POST", "/items", { cartId, productId: randomUUID() });
		expect(unknown.status).toBe(404);
		expect(unknown.body).toMatchObject({ error: { code: "PRODUCT_NOT_AVAILABLE" } });
		expect((await cart("POST", "/items", { cartId, productId: mug.id, quantity: 0 })).status).toBe(400);
		expect((await cart("POST", "/items", { cartId, productId: "not-a-uuid" })).status).toBe(400);
		const over = await cart("POST", "/items", { cartId, productId: mug.id, quantity: 99 });
		expect(over.status).toBe(409);
		expect(over.body).toMatchObject({ error: { code: "CART_LIMIT", details: { what: "quantity", limit: 99 } } });
		expect((await cart("GET", `/?cartId=${cartId}`)).body.items).toEqual([
			expect.objectContaining({ productId: mug.id, quantity: 1 }),
		]);
	});

	it("when a price changes after a line was added, then the cart shows the new price and says it changed", async () => {
		const { body: product } = await api(
			base,
			"POST",
			"/api/products",
			{ sku: `P-${uniqueId()}`, name: "Poster", category: "cart-test", priceCents: 500, currency: "EUR" },
			{ authorization: `Bearer ${admin}` },
		);
		const { body } = await cart("POST", "/items", { productId: product.id, quantity: 2 });
		await api(
			base,
			"PUT",
			`/api/products/${product.id}`,
			{ name: "Poster", category: "cart-test", priceCents: 700, currency: "EUR" },
			{ authorization: `Bearer ${admin}` },
		);
		const read = await cart("GET", `/?cartId=${body.cartId}`);
		expect(read.body.items[0]).toMatchObject({ priceCents: 700, addedPriceCents: 500, priceChanged: true });
		expect(read.body.totals).toEqual({ EUR: 1400 });
	});

	it("when a guest signs in and merges, then the lines join the shopper's cart and the guest cart is gone", async () => {
		const token = await shopperToken();
		await cart("POST", "/items", { productId: mug.id, quantity: 1 }, token);
		const guest = await cart("POST", "/items", { productId: mug.id, quantity: 2 });
		await cart("POST", "/items", { cartId: guest.body.cartId, productId: tee.id, quantity: 1 });

		const merged = await cart("POST", "/merge", { cartId: guest.body.cartId }, token);
		expect(merged.status).toBe(200);
		expect(merged.body.cartId).toBeUndefined();
		expect(merged.body.items.map((i: { productId: string; quantity: number }) => [i.productId, i.quantity])).toEqual([
			[mug.id, 3],
			[tee.id, 1],
		]);
		expect((await cart("GET", `/?cartId=${guest.body.cartId}`)).body.items).toEqual([]);
		expect((await cart("GET", "/", undefined, token)).body.itemCount).toBe(4);
		expect((await cart("POST", "/merge", { cartId: guest.body.cartId })).status).toBe(401);
	});

	it("when a shopper adds one product ten times at once, then every add succeeds and counts", async () => {
		const token = await shopperToken();
		const answers = await Promise.all(
			Array.from({ length: 10 }, () => cart("POST", "/items", { productId: tee.id }, token)),
		);
		expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
		// A signed-in add is one conditional UPDATE (or the insert of a new line): every one counts.
		expect((await cart("GET", "/", undefined, token)).body.items[0].quantity).toBe(10);
	});

	it("when a line is removed or the cart cleared, then it is gone", async () => {
		const token = await shopperToken();
		await cart("POST", "/items", { productId: mug.id }, token);
		await cart("POST", "/items", { productId: tee.id }, token);
		const removed = await cart("DELETE", `/items/${mug.id}`, undefined, token);
		expect(removed.body.items.map((i: { productId: string }) => i.productId)).toEqual([tee.id]);
		expect((await cart("DELETE", "/", undefined, token)).status).toBe(204);
		expect((await cart("GET", "/", undefined, token)).body).toEqual({ items: [], totals: {}, itemCount: 0 });
	});
});
