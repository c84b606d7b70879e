/**
 * Back-pressure on new orders (services/orders/checkout-admission.ts): with no inventory node, orders
 * stay PENDING (their stock decision never comes): the saga is stuck. Once enough of them have waited
 * too long and no stock decision was made for a while, a new order is a 503 CHECKOUT_BUSY with
 * Retry-After that writes nothing; a retry of an order already made still answers; a stock decision
 * (the saga moving) opens checkout although orders still lag; when the backlog ends, orders are taken.
 */
import type { ServiceBroker } from "moleculer";
import type { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { signAccessToken } from "../../lib/auth/access-token";
import authService from "../../services/auth/auth.service";
import gatewayService from "../../services/gateway/api.service";
import ordersService from "../../services/orders/orders.service";
import productsService from "../../services/products/products.service";
import usersService from "../../services/users/users.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { waitFor } from "../support/events/harness";
import { api, ERROR_SHAPE, gatewayBaseUrl } from "../support/http";
import { infra } from "../support/infra";

const MAX_LAGGING = 3;
const MAX_LAG_MS = 300;
const STALL_MS = 1000;

describe.each([
	["embedded: SQLite", () => ({})],
	["MariaDB", () => ({ DATABASE_URL: infra.databaseUrl })],
])("new orders when the saga is behind (%s)", (_label, envOf) => {
	let config: AppConfig;
	let broker: ServiceBroker;
	let base: string;
	let admin: string;
	let buyer: string;
	let sku: string;

	const as = (token: string) => ({ authorization: `Bearer ${token}` });
	const order = (headers: Record<string, string> = {}) =>
		api(
			base,
			"POST",
			"/api/orders",
			{ items: [{ sku, quantity: 1 }], paymentMethod: "sandbox_authorize" },
			{
				...as(buyer),
				...headers,
			},
		);
	/** Places orders until one is answered `status`; the orders placed (201) on the way join `placed`. */
	const untilAnswered = (what: string, status: 201 | 503, placed: string[]) =>
		waitFor(
			what,
			async () => {
				const res = await order();
				if (res.status === 201) placed.push(res.body.orderId as string);
				return res.status === status ? res : undefined;
			},
			10_000,
			50,
		);
	const ordersOfBuyer = async () => (await api(base, "GET", "/api/orders?size=100", undefined, as(buyer))).body;

	beforeAll(async () => {
		config = testConfig({
			...envOf(),
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "error",
			SEED_DEMO_DATA: "false",
			ORDER_ADMISSION_MAX_LAGGING: String(MAX_LAGGING),
			ORDER_ADMISSION_MAX_LAG_MS: String(MAX_LAG_MS),
			ORDER_ADMISSION_STALL_MS: String(STALL_MS),
			ORDER_ADMISSION_CHECK_MS: "50",
		});
		// No inventory node: every order waits for its stock decision.
		broker = await startBroker(config, [
			gatewayService(config),
			authService(config),
			usersService(config),
			productsService(config),
			ordersService(config),
		]);
		base = gatewayBaseUrl(broker);
		admin = await signAccessToken({ sub: "ops", roles: ["admin"] }, config.auth);
		sku = `BP-${uniqueId()}`;
		const created = await api(
			base,
			"POST",
			"/api/products",
			{ sku, name: `Back-pressure ${sku}`, category: "bp-test", priceCents: 500, currency: "EUR" },
			as(admin),
		);
		expect(created.status).toBe(201);
		buyer = (
			await api(base, "POST", "/api/auth/signup", {
				email: `bp-${uniqueId()}@example.com`,
				password: "a long enough password",
			})
		).body.accessToken as string;
	}, 60_000);
	afterAll(() => broker?.stop());

	it("when enough orders wait too long for stock and none is decided, then a new order is 503 CHECKOUT_BUSY, writes nothing, and is taken again once stock is decided or they end", async () => {
		const key = `bp-${uniqueId()}`;
		const first = await order({ "idempotency-key": key });
		expect(first.status).toBe(201);
		const placed = [first.body.orderId as string];
		for (let i = 1; i < MAX_LAGGING; i++) {
			const res = await order();
			expect(res.status).toBe(201);
			placed.push(res.body.orderId as string);
		}

		const busy = await untilAnswered("a new order to be refused", 503, placed);
		expect(busy.body).toMatchObject({ ...ERROR_SHAPE, error: { status: 503, code: "CHECKOUT_BUSY" } });
		expect(Number(busy.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
		// Nothing was written: the buyer has exactly the orders that were answered 201.
		const listed = await ordersOfBuyer();
		expect(listed.total).toBe(placed.length);
		expect(listed.items.every((o: { status: string }) => o.status === "PENDING")).toBe(true);

		// A retry of an order already made is answered while checkout is busy.
		const replay = await order({ "idempotency-key": key });
		expect([replay.status, replay.body.orderId]).toEqual([200, first.body.orderId]);

		// A stock decision (here written as inventory's outcome would leave it) shows the saga moving: checkout opens
		// although the orders still lag, and closes again once no decision has come for STALL_MS.
		const sequelize = (broker.getLocalService("orders") as unknown as { sequelize: Sequelize }).sequelize;
		await sequelize.query("INSERT INTO order_history (order_id, status, reason, at) VALUES (?, 'RESERVED', NULL, ?)", {
			replacements: [`elsewhere-${uniqueId()}`, Date.now()],
		});
		await untilAnswered("checkout to open on a stock decision", 201, placed);
		const closedAgain = await untilAnswered("checkout to close once no decision came for STALL_MS", 503, placed);
		expect(closedAgain.body.error.code).toBe("CHECKOUT_BUSY");

		// The backlog ends (here: the shopper cancels): orders are taken again.
		for (const orderId of placed) {
			const cancelled = await api(base, "POST", `/api/orders/${orderId}/cancel`, {}, as(buyer));
			expect(cancelled.status).toBe(200);
		}
		const again = await untilAnswered("a new order to be taken again", 201, []);
		expect(again.body.status).toBe("PENDING");
	});
});
