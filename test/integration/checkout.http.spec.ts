/**
 * The checkout saga end to end, through the gateway: orders, payments (the sandbox provider delivering
 * signed webhooks over HTTP), inventory and cart, on the embedded stack (SQLite, in-process events)
 * and on the cluster's (MariaDB, Kafka, Redis, NATS). Each outcome the checkout issue lists is one
 * test; each arranges its own product, stock and shopper.
 */
import { createHmac } from "node:crypto";
import type { ServiceBroker } from "moleculer";
import type { AppConfig } from "../../config";
import { signAccessToken } from "../../lib/auth/access-token";
import authService from "../../services/auth/auth.service";
import cartService from "../../services/cart/cart.service";
import eventsService from "../../services/events/events.service";
import gatewayService from "../../services/gateway/api.service";
import inventoryService from "../../services/inventory/inventory.service";
import ordersService from "../../services/orders/orders.service";
import paymentsService from "../../services/payments/payments.service";
import productsService from "../../services/products/products.service";
import usersService from "../../services/users/users.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { sleep, waitFor } from "../support/events/harness";
import { api, ERROR_SHAPE, gatewayBaseUrl, type JsonResponse } from "../support/http";
import { infra } from "../support/infra";

/** Short enough for a test to wait for, long enough for a saga on a busy 2-core machine. */
const PAYMENT_TIMEOUT_MS = 8000;
const TERMINAL = ["CONFIRMED", "CANCELLED", "TIMED_OUT"];

describe.each([
	["embedded: SQLite, in-process events", () => ({})],
	[
		"cluster: MariaDB, Kafka, Redis, NATS",
		() => ({
			DATABASE_URL: infra.databaseUrl,
			EVENTS_URL: infra.kafkaUrl,
			REDIS_URL: infra.redisUrl,
			TRANSPORTER: infra.natsUrl,
		}),
	],
])("checkout through the gateway (%s)", (_label, envOf) => {
	let config: AppConfig;
	let broker: ServiceBroker;
	let base: string;
	let admin: string;

	const as = (token: string) => ({ authorization: `Bearer ${token}` });
	const call = (method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) =>
		api(base, method, path, body, { ...as(token), ...headers });

	const shopper = async (): Promise<string> =>
		(
			await api(base, "POST", "/api/auth/signup", {
				email: `buyer-${uniqueId()}@example.com`,
				password: "a long enough password",
			})
		).body.accessToken as string;

	/** A new product with `units` in stock; returns its SKU. */
	const product = async (units: number, priceCents = 1500): Promise<string> => {
		const sku = `CO-${uniqueId()}`;
		const created = await call("POST", "/api/products", admin, {
			sku,
			name: `Checkout ${sku}`,
			category: "checkout-test",
			priceCents,
			currency: "EUR",
		});
		expect(created.status).toBe(201);
		expect((await call("POST", "/api/inventory/stock", admin, { sku, available: units })).status).toBe(200);
		return sku;
	};

	const stockOf = async (sku: string) => (await call("GET", `/api/inventory/stock/${sku}`, admin)).body;
	const orderOf = async (token: string, orderId: string) => (await call("GET", `/api/orders/${orderId}`, token)).body;
	const paymentOf = (orderId: string) =>
		broker.call<{ paymentId: string; status: string; providerIntentId: string | null } | null, object>(
			"payments.byOrder",
			{ orderId },
		);

	const placeOrder = (token: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> =>
		call("POST", "/api/orders", token, body, headers);

	/** Waits for the order to reach a terminal status (or `status`). */
	const settle = (token: string, orderId: string, status?: string, timeoutMs = 30_000) =>
		waitFor(
			`order ${orderId} to end`,
			async () => {
				const order = await orderOf(token, orderId);
				return (status ? order.status === status : TERMINAL.includes(order.status)) ? order : undefined;
			},
			timeoutMs,
			100,
		);

	const paymentIn = (orderId: string, statuses: string[]) =>
		waitFor(
			`the payment of ${orderId} to be ${statuses.join(" or ")}`,
			async () => {
				const payment = await paymentOf(orderId);
				return payment && statuses.includes(payment.status) ? payment : undefined;
			},
			30_000,
			100,
		);

	/** What the sandbox would send: a webhook signed with the shared secret. */
	const webhook = async (event: string, intentId: string, paymentId: string) => {
		const body = JSON.stringify({
			id: `evt_${uniqueId()}`,
			event,
			intentId,
			reference: paymentId,
			amountCents: 1500,
			currency: "EUR",
			createdAt: new Date().toISOString(),
		});
		const signature = createHmac("sha256", config.payments.webhookSecret).update(body).digest("hex");
		return fetch(`${base}/api/payments/webhook`, {
			method: "POST",
			headers: { "content-type": "application/json", "x-razorpay-signature": signature },
			body,
		});
	};

	beforeAll(async () => {
		config = testConfig({
			...envOf(),
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "error",
			SEED_DEMO_DATA: "false",
			ORDER_PAYMENT_TIMEOUT_MS: String(PAYMENT_TIMEOUT_MS),
			ORDER_TIMEOUT_SWEEP_MS: "500",
			OUTBOX_RELAY_INTERVAL_MS: "200",
			INVENTORY_SWEEP_INTERVAL_S: "1",
			PAYMENT_SANDBOX_WEBHOOK_DELAY_MS: "20",
			PAYMENT_PROVIDER_BACKOFF_MS: "20",
		});
		broker = await startBroker(config, [
			gatewayService(config),
			authService(config),
			usersService(config),
			productsService(config),
			cartService(config),
			inventoryService(config),
			ordersService(config),
			paymentsService(config),
			eventsService(config),
		]);
		base = gatewayBaseUrl(broker);
		admin = await signAccessToken({ sub: "ops", roles: ["admin"] }, config.auth);

		// Kafka consumer groups start at the end of a topic once they have joined: place probe orders
		// until one goes all the way round.
		const probeSku = await product(1000);
		const buyer = await shopper();
		const deadline = Date.now() + 90_000;
		while (Date.now() < deadline) {
			const placed = await placeOrder(buyer, {
				items: [{ sku: probeSku, quantity: 1 }],
				paymentMethod: "sandbox_authorize",
			});
			const until = Date.now() + 4000;
			while (Date.now() < until && (await orderOf(buyer, placed.body.orderId)).status !== "CONFIRMED") await sleep(100);
			if ((await orderOf(buyer, placed.body.orderId)).status === "CONFIRMED") return;
		}
		throw new Error("no probe order was confirmed within 90 s");
	}, 120_000);
	afterAll(() => broker?.stop());

	it("when a shopper orders the cart and pays, then the order is CONFIRMED, the stock sold, the payment captured and the cart emptied", async () => {
		const [mugSku, teeSku] = [await product(10, 1200), await product(10, 2000)];
		const token = await shopper();
		const products = (await api(base, "GET", "/api/products?category=checkout-test&size=100")).body.items as Array<{
			id: string;
			sku: string;
		}>;
		const idOf = (sku: string) => products.find((p) => p.sku === sku)?.id;
		await call("POST", "/api/cart/items", token, { productId: idOf(mugSku), quantity: 2 });
		await call("POST", "/api/cart/items", token, { productId: idOf(teeSku), quantity: 1 });

		const placed = await placeOrder(token, { fromCart: true, paymentMethod: "sandbox_authorize" });
		expect(placed.status).toBe(201);
		expect(placed.headers.get("location")).toBe(`/api/orders/${placed.body.orderId}`);
		expect(placed.body).toMatchObject({
			status: "PENDING",
			totals: { EUR: 2 * 1200 + 2000 },
			items: expect.arrayContaining([
				expect.objectContaining({ sku: mugSku, quantity: 2, unitPriceCents: 1200, currency: "EUR" }),
			]),
		});
		const order = await settle(token, placed.body.orderId);
		expect(order).toMatchObject({ status: "CONFIRMED", reason: null, paymentId: expect.any(String) });
		expect(order.history.map((h: { status: string }) => h.status)).toEqual([
			"PENDING",
			"RESERVED",
			"PAID",
			"CONFIRMED",
		]);

		await waitFor("the stock to be sold", async () => ((await stockOf(mugSku)).confirmed === 2 ? true : undefined));
		expect(await stockOf(mugSku)).toMatchObject({ available: 8, reserved: 0, confirmed: 2 });
		expect(await stockOf(teeSku)).toMatchObject({ available: 9, reserved: 0, confirmed: 1 });
		const payment = await paymentIn(order.orderId, ["CAPTURED"]);
		expect((await call("GET", `/api/payments/${payment.paymentId}`, token)).body).toMatchObject({
			status: "CAPTURED",
			amountCents: 4400,
			currency: "EUR",
		});
		await waitFor("the cart to be emptied", async () =>
			(await call("GET", "/api/cart", token)).body.items.length === 0 ? true : undefined,
		);
	});

	it("when one line is out of stock, then the order is CANCELLED INSUFFICIENT_STOCK, no line holds stock and nothing is captured", async () => {
		const [plenty, scarce] = [await product(10), await product(1)];
		const token = await shopper();
		const placed = await placeOrder(token, {
			items: [
				{ sku: plenty, quantity: 3 },
				{ sku: scarce, quantity: 2 },
			],
			paymentMethod: "sandbox_authorize",
		});
		const order = await settle(token, placed.body.orderId);
		expect(order).toMatchObject({ status: "CANCELLED", reason: "INSUFFICIENT_STOCK" });
		await waitFor("the stock back", async () => ((await stockOf(plenty)).available === 10 ? true : undefined));
		expect(await stockOf(plenty)).toMatchObject({ available: 10, reserved: 0, confirmed: 0 });
		expect(await stockOf(scarce)).toMatchObject({ available: 1, reserved: 0, confirmed: 0 });
		await paymentIn(order.orderId, ["VOIDED", "FAILED"]);
	});

	it("when the payment is declined, then the order is CANCELLED PAYMENT_DECLINED and its stock released", async () => {
		const sku = await product(5);
		const token = await shopper();
		const placed = await placeOrder(token, { items: [{ sku, quantity: 2 }], paymentMethod: "sandbox_decline" });
		const order = await settle(token, placed.body.orderId);
		expect(order).toMatchObject({ status: "CANCELLED", reason: "PAYMENT_DECLINED" });
		await waitFor("the stock back", async () => ((await stockOf(sku)).available === 5 ? true : undefined));
		expect(await stockOf(sku)).toMatchObject({ available: 5, reserved: 0, confirmed: 0 });
		expect((await paymentOf(order.orderId))?.status).toBe("FAILED");
	});

	it("when the provider never answers, then the order is TIMED_OUT, its stock released, and a late authorization is voided", async () => {
		const sku = await product(5);
		const token = await shopper();
		const placed = await placeOrder(token, { items: [{ sku, quantity: 2 }], paymentMethod: "sandbox_no_answer" });
		const order = await settle(token, placed.body.orderId, undefined, PAYMENT_TIMEOUT_MS + 30_000);
		expect(order).toMatchObject({ status: "TIMED_OUT", reason: "PAYMENT_TIMEOUT" });
		await waitFor("the stock back", async () => ((await stockOf(sku)).available === 5 ? true : undefined));

		const pending = await paymentIn(order.orderId, ["PENDING", "VOIDED"]);
		const late = await webhook("payment.authorized", pending.providerIntentId as string, pending.paymentId);
		expect(late.status).toBe(200);
		await paymentIn(order.orderId, ["VOIDED"]);
		await sleep(500);
		expect((await orderOf(token, order.orderId)).status).toBe("TIMED_OUT");
		expect(await stockOf(sku)).toMatchObject({ available: 5, reserved: 0, confirmed: 0 });
	}, 90_000);

	it("when the shopper cancels before confirmation, then it is CANCELLED, the stock released, and a later authorization voided; a second cancel is 409", async () => {
		const sku = await product(5);
		const token = await shopper();
		const placed = await placeOrder(token, { items: [{ sku, quantity: 1 }], paymentMethod: "sandbox_no_answer" });
		await settle(token, placed.body.orderId, "RESERVED");

		const cancelled = await call("POST", `/api/orders/${placed.body.orderId}/cancel`, token);
		expect(cancelled.status).toBe(200);
		expect(cancelled.body).toMatchObject({ status: "CANCELLED", reason: "CANCELLED_BY_USER" });
		await waitFor("the stock back", async () => ((await stockOf(sku)).available === 5 ? true : undefined));
		const again = await call("POST", `/api/orders/${placed.body.orderId}/cancel`, token);
		expect(again.status).toBe(409);
		expect(again.body).toMatchObject({ ...ERROR_SHAPE, error: { code: "INVALID_ORDER_STATE" } });

		const pending = await paymentIn(placed.body.orderId, ["PENDING", "VOIDED"]);
		await webhook("payment.authorized", pending.providerIntentId as string, pending.paymentId);
		await paymentIn(placed.body.orderId, ["VOIDED"]);
		expect((await orderOf(token, placed.body.orderId)).status).toBe("CANCELLED");
	});

	it("when ten shoppers order the last unit at once, then exactly one order is CONFIRMED", async () => {
		const sku = await product(1);
		const buyers = await Promise.all(Array.from({ length: 10 }, () => shopper()));
		const placed = await Promise.all(
			buyers.map((token) => placeOrder(token, { items: [{ sku, quantity: 1 }], paymentMethod: "sandbox_authorize" })),
		);
		expect(placed.map((p) => p.status)).toEqual(Array(10).fill(201));
		const ends = await Promise.all(placed.map((p, i) => settle(buyers[i] as string, p.body.orderId)));
		expect(ends.filter((o) => o.status === "CONFIRMED")).toHaveLength(1);
		expect(ends.filter((o) => o.status === "CANCELLED" && o.reason === "INSUFFICIENT_STOCK")).toHaveLength(9);
		await waitFor("the sale", async () => ((await stockOf(sku)).confirmed === 1 ? true : undefined));
		expect(await stockOf(sku)).toMatchObject({ available: 0, reserved: 0, confirmed: 1 });
	});

	it("when a client retries with its Idempotency-Key, then it gets the same order (201 then 200); another body with that key is 409", async () => {
		const sku = await product(5);
		const token = await shopper();
		const body = { items: [{ sku, quantity: 1 }], paymentMethod: "sandbox_authorize" };
		const key = { "idempotency-key": `k-${uniqueId()}` };
		const first = await placeOrder(token, body, key);
		const retry = await placeOrder(token, body, key);
		expect([first.status, retry.status]).toEqual([201, 200]);
		expect(retry.body.orderId).toBe(first.body.orderId);
		const other = await placeOrder(token, { ...body, items: [{ sku, quantity: 2 }] }, key);
		expect(other.status).toBe(409);
		expect(other.body).toMatchObject({ ...ERROR_SHAPE, error: { code: "IDEMPOTENCY_KEY_REUSED" } });
		// Another user's key space is their own.
		expect((await placeOrder(await shopper(), body, key)).status).toBe(201);
	});

	it("when a request is bad, then it is a 4xx naming the problem and no order is made", async () => {
		const sku = await product(5);
		const token = await shopper();
		const unknown = await placeOrder(token, {
			items: [
				{ sku, quantity: 1 },
				{ sku: "NO-SUCH-SKU", quantity: 1 },
			],
			paymentMethod: "sandbox_authorize",
		});
		expect(unknown.status).toBe(400);
		expect(unknown.body).toMatchObject({
			error: { code: "PRODUCT_NOT_AVAILABLE", details: { line: 1, sku: "NO-SUCH-SKU" } },
		});
		for (const body of [
			{ paymentMethod: "sandbox_authorize" },
			{ items: [{ sku, quantity: 0 }], paymentMethod: "sandbox_authorize" },
			{ items: [{ sku, quantity: 1 }], fromCart: true, paymentMethod: "sandbox_authorize" },
			{ items: [{ sku, quantity: 1 }] },
			{ items: [{ sku, quantity: 1 }], paymentMethod: "bitcoin" },
			{ fromCart: true, paymentMethod: "sandbox_authorize" },
		]) {
			const res = await placeOrder(token, body);
			expect([res.status, body]).toEqual([400, body]);
			expect(res.body).toMatchObject(ERROR_SHAPE);
		}
		expect((await call("GET", "/api/orders", token)).body).toMatchObject({ items: [], total: 0 });
		expect((await api(base, "POST", "/api/orders", { items: [{ sku, quantity: 1 }] })).status).toBe(401);
	});

	it("when another shopper asks for an order, then it is 404; its owner lists it, an operator sees it", async () => {
		const sku = await product(5);
		const [owner, stranger] = [await shopper(), await shopper()];
		const placed = await placeOrder(owner, { items: [{ sku, quantity: 1 }], paymentMethod: "sandbox_authorize" });
		expect((await call("GET", `/api/orders/${placed.body.orderId}`, stranger)).status).toBe(404);
		expect((await call("POST", `/api/orders/${placed.body.orderId}/cancel`, stranger)).status).toBe(404);
		const list = (await call("GET", "/api/orders", owner)).body;
		expect(list).toMatchObject({ total: 1, items: [{ orderId: placed.body.orderId }] });
		expect((await call("GET", `/api/orders/${placed.body.orderId}`, admin)).status).toBe(200);
		expect((await call("POST", "/api/orders/admin/saga/timeouts/run", owner)).status).toBe(403);
		const sweep = await call("POST", "/api/orders/admin/saga/timeouts/run", admin);
		expect(sweep).toMatchObject({ status: 200, body: { timedOut: expect.any(Number) } });
	});

	it("when a shipping address is given, then it must be one of the shopper's own", async () => {
		const sku = await product(5);
		const [owner, stranger] = [await shopper(), await shopper()];
		const address = { recipient: "Ada", line1: "1 Main St", city: "Paris", postalCode: "75001", country: "FR" };
		const own = await call("POST", "/api/users/me/addresses", owner, address);
		expect(own.status).toBe(201);
		const body = { items: [{ sku, quantity: 1 }], paymentMethod: "sandbox_authorize", shippingAddressId: own.body.id };
		const theirs = await placeOrder(stranger, body);
		expect(theirs.status).toBe(400);
		expect(theirs.body).toMatchObject({ error: { code: "ADDRESS_NOT_FOUND" } });
		const placed = await placeOrder(owner, body);
		expect(placed).toMatchObject({ status: 201, body: { shippingAddressId: own.body.id } });
	});

	it("when an operator confirms or replays, then only a PAID order can be confirmed and only operators may", async () => {
		const sku = await product(5);
		const token = await shopper();
		const placed = await placeOrder(token, { items: [{ sku, quantity: 1 }], paymentMethod: "sandbox_authorize" });
		await settle(token, placed.body.orderId, "CONFIRMED");
		const path = `/api/orders/${placed.body.orderId}/confirm`;
		expect((await call("POST", path, token)).status).toBe(403);
		const again = await call("POST", path, admin);
		expect(again.status).toBe(409);
		expect(again.body).toMatchObject({ ...ERROR_SHAPE, error: { code: "INVALID_ORDER_STATE" } });
		const replay = await call("POST", "/api/orders/admin/outbox/replay-failed", admin);
		expect(replay).toMatchObject({ status: 200, body: { requeued: 0 } });
	});
});
