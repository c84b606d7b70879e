import type { ServiceBroker } from "moleculer";
import authService from "../../services/auth/auth.service";
import gatewayService from "../../services/gateway/api.service";
import inventoryService from "../../services/inventory/inventory.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { asOperator, ERROR_SHAPE, gatewayBaseUrl } from "../support/http";
import { infra } from "../support/infra";
import { METRICS_ON, metricTotal } from "../support/metrics";

describe.each([
	["MariaDB", { DATABASE_URL: infra.databaseUrl }],
	["SQLite", {}],
])("inventory over HTTP on %s", (_label, env) => {
	let broker: ServiceBroker;
	let base: string;
	let api: Awaited<ReturnType<typeof asOperator>>["api"];
	let stockViaGateway: Awaited<ReturnType<typeof asOperator>>["stockViaGateway"];
	const sku = () => `SKU-${uniqueId()}`;
	const order = () => `o-${uniqueId()}`;

	beforeAll(async () => {
		const config = testConfig({
			...env,
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			INVENTORY_MAX_QUANTITY_PER_ORDER: "50",
			INVENTORY_RESERVATION_TTL_S: "600",
			SERVICES: "gateway,auth,inventory",
			HTTP_BODY_LIMIT: "2kb",
		});
		broker = await startBroker(config, [gatewayService(config), authService(config), inventoryService(config)]);
		base = gatewayBaseUrl(broker);
		({ api, stockViaGateway } = await asOperator(config.auth));
	});
	afterAll(() => broker?.stop());

	it("when stock is set and an order reserves, then the reservation is returned and the stock moves to reserved", async () => {
		const s = sku();
		const set = await api(base, "POST", "/api/inventory/stock", { sku: s, available: 10 });
		expect(set.status).toBe(200);
		expect(set.body).toEqual({ sku: s, available: 10, reserved: 0, confirmed: 0, version: 1 });

		const o = order();
		const before = Date.now();
		const res = await api(base, "POST", "/api/inventory/reserve", { orderId: o, sku: s, quantity: 3 });
		expect(res.status).toBe(200);
		expect(res.body).toMatchObject({ reservationId: `${o}:${s}`, orderId: o, sku: s, quantity: 3, status: "RESERVED" });
		const expiresIn = Date.parse(res.body.expiresAt) - before;
		expect(expiresIn).toBeGreaterThan(590_000);
		expect(expiresIn).toBeLessThan(610_000);
		expect(await stockViaGateway(base, s)).toEqual({ sku: s, available: 7, reserved: 3, confirmed: 0, version: 2 });
	});

	it("when the same order reserves again, even concurrently, then it gets the original reservation and stock moves once", async () => {
		const s = sku();
		await api(base, "POST", "/api/inventory/stock", { sku: s, available: 10 });
		const o = order();
		const replies = await Promise.all(
			Array.from({ length: 20 }, () =>
				api(base, "POST", "/api/inventory/reserve", { orderId: o, sku: s, quantity: 4 }),
			),
		);
		expect(new Set(replies.map((r) => r.status))).toEqual(new Set([200]));
		expect(new Set(replies.map((r) => JSON.stringify(r.body))).size).toBe(1);
		const again = await api(base, "POST", "/api/inventory/reserve", { orderId: o, sku: s, quantity: 1 });
		expect(again.body).toEqual(replies[0]?.body);
		expect(await stockViaGateway(base, s)).toMatchObject({ available: 6, reserved: 4 });
	});

	it("when an order asks for more than is available, then it is 409 INSUFFICIENT_STOCK and nothing changes", async () => {
		const s = sku();
		await api(base, "POST", "/api/inventory/stock", { sku: s, available: 2 });
		const before = await stockViaGateway(base, s);
		const res = await api(base, "POST", "/api/inventory/reserve", { orderId: order(), sku: s, quantity: 3 });
		expect(res.status).toBe(409);
		expect(res.body).toMatchObject(ERROR_SHAPE);
		expect(res.body.error.code).toBe("INSUFFICIENT_STOCK");
		expect(await stockViaGateway(base, s)).toEqual(before);
	});

	it("when a SKU has a space, then it is refused; order ids that differ only by trailing spaces are different orders", async () => {
		const s = sku();
		// The one SKU rule (lib/text-patterns.ts): no spaces, so `SKU-1` and `SKU-1 ` can never be two SKUs.
		const padded = await api(base, "POST", "/api/inventory/stock", { sku: `${s} `, available: 7 });
		expect([padded.status, padded.body.error.code]).toEqual([400, "VALIDATION_ERROR"]);
		await api(base, "POST", "/api/inventory/stock", { sku: s, available: 7 });

		const o = order();
		const plain = await api(base, "POST", "/api/inventory/reserve", { orderId: o, sku: s, quantity: 2 });
		const spaced = await api(base, "POST", "/api/inventory/reserve", { orderId: `${o} `, sku: s, quantity: 3 });
		expect([plain.status, spaced.status]).toEqual([200, 200]);
		expect(spaced.body).toMatchObject({ orderId: `${o} `, quantity: 3 });
		expect(await stockViaGateway(base, s)).toMatchObject({ sku: s, available: 2, reserved: 5 });
	});

	it("when the SKU does not exist, then reserve and read are 404 SKU_NOT_FOUND", async () => {
		const s = sku();
		const reserve = await api(base, "POST", "/api/inventory/reserve", { orderId: order(), sku: s, quantity: 1 });
		expect([reserve.status, reserve.body.error.code]).toEqual([404, "SKU_NOT_FOUND"]);
		const read = await api(base, "GET", `/api/inventory/stock/${s}`);
		expect([read.status, read.body.error.code]).toEqual([404, "SKU_NOT_FOUND"]);
	});

	it("when a reservation is released, then units return, release is idempotent and a later confirm is 409", async () => {
		const s = sku();
		const o = order();
		await api(base, "POST", "/api/inventory/stock", { sku: s, available: 5 });
		await api(base, "POST", "/api/inventory/reserve", { orderId: o, sku: s, quantity: 2 });
		const first = await api(base, "POST", "/api/inventory/release", { orderId: o, sku: s });
		const second = await api(base, "POST", "/api/inventory/release", { orderId: o, sku: s });
		expect(first.body).toMatchObject({ status: "RELEASED", quantity: 2 });
		expect(second.body).toEqual(first.body);
		expect(await stockViaGateway(base, s)).toMatchObject({ available: 5, reserved: 0, confirmed: 0 });
		const confirm = await api(base, "POST", "/api/inventory/confirm", { orderId: o, sku: s });
		expect([confirm.status, confirm.body.error.code]).toEqual([409, "INVALID_RESERVATION_STATE"]);
		expect(await stockViaGateway(base, s)).toMatchObject({ available: 5, reserved: 0, confirmed: 0 });
	});

	it("when a reservation is confirmed, then units move to confirmed, confirm is idempotent and a later release is 409", async () => {
		const s = sku();
		const o = order();
		await api(base, "POST", "/api/inventory/stock", { sku: s, available: 5 });
		await api(base, "POST", "/api/inventory/reserve", { orderId: o, sku: s, quantity: 2 });
		const first = await api(base, "POST", "/api/inventory/confirm", { orderId: o, sku: s });
		const second = await api(base, "POST", "/api/inventory/confirm", { orderId: o, sku: s });
		expect(first.body).toMatchObject({ status: "CONFIRMED" });
		expect(second.body).toEqual(first.body);
		const release = await api(base, "POST", "/api/inventory/release", { orderId: o, sku: s });
		expect([release.status, release.body.error.code]).toEqual([409, "INVALID_RESERVATION_STATE"]);
		expect(await stockViaGateway(base, s)).toMatchObject({ available: 3, reserved: 0, confirmed: 2 });
	});

	it("when a reservation that does not exist is released or confirmed, then it is 404", async () => {
		const s = sku();
		await api(base, "POST", "/api/inventory/stock", { sku: s, available: 5 });
		const res = await api(base, "POST", "/api/inventory/release", { orderId: order(), sku: s });
		expect([res.status, res.body.error.code]).toEqual([404, "RESERVATION_NOT_FOUND"]);
	});

	it("when stock is adjusted by deltas, then it adds and removes but never goes below zero", async () => {
		const s = sku();
		expect((await api(base, "POST", "/api/inventory/stock", { sku: s, delta: 25 })).body).toMatchObject({
			available: 25,
		});
		expect((await api(base, "POST", "/api/inventory/stock", { sku: s, delta: -10 })).body).toMatchObject({
			available: 15,
		});
		expect((await api(base, "POST", "/api/inventory/stock", { sku: s, delta: -40 })).body).toMatchObject({
			available: 0,
		});
		expect((await api(base, "POST", "/api/inventory/stock", { sku: s, available: 7 })).body).toMatchObject({
			available: 7,
		});
	});

	const badReserves: Array<[string, unknown]> = [
		["a missing orderId", { sku: "S", quantity: 1 }],
		["a missing quantity", { orderId: "o", sku: "S" }],
		["quantity 0", { orderId: "o", sku: "S", quantity: 0 }],
		["a negative quantity", { orderId: "o", sku: "S", quantity: -2 }],
		["a fractional quantity", { orderId: "o", sku: "S", quantity: 1.5 }],
		["a quantity as a string", { orderId: "o", sku: "S", quantity: "2" }],
		["a quantity above the per-order maximum", { orderId: "o", sku: "S", quantity: 51 }],
		["a SKU of 65 characters", { orderId: "o", sku: "S".repeat(65), quantity: 1 }],
		["a SKU with a control character", { orderId: "o", sku: "S\u0007", quantity: 1 }],
		["an empty SKU", { orderId: "o", sku: "", quantity: 1 }],
		["an orderId containing ':'", { orderId: "o:1", sku: "S", quantity: 1 }],
		["a body that is not JSON", "{not json"],
		["a body over the size limit", { orderId: "o", sku: "S", quantity: 1, pad: "x".repeat(4096) }],
		["a JSON array body", "[1,2]"],
	];

	it.each(badReserves)(
		"when a reserve has %s, then it is a 4xx with the error JSON and the stock is unchanged",
		async (_case, body) => {
			const s = sku();
			await api(base, "POST", "/api/inventory/stock", { sku: s, available: 5 });
			await api(base, "POST", "/api/inventory/reserve", { orderId: order(), sku: s, quantity: 1 });
			const before = await stockViaGateway(base, s);
			const payload =
				typeof body === "string"
					? body
					: JSON.stringify({
							...(body as object),
							sku: (body as { sku: string }).sku === "S" ? s : (body as { sku: string }).sku,
						});
			const res = await api(base, "POST", "/api/inventory/reserve", payload);
			expect(res.status).toBeGreaterThanOrEqual(400);
			expect(res.status).toBeLessThan(500);
			expect(res.body).toMatchObject(ERROR_SHAPE);
			expect(res.body.error.status).toBe(res.status);
			expect(await stockViaGateway(base, s)).toEqual(before);
		},
	);

	it.each([
		["both available and delta", { available: 1, delta: 1 }],
		["neither available nor delta", {}],
		["a negative available", { available: -1 }],
		["a zero delta", { delta: 0 }],
		["a fractional available", { available: 2.5 }],
	])("when a stock update has %s, then it is 400 and nothing changes", async (_case, fields) => {
		const s = sku();
		await api(base, "POST", "/api/inventory/stock", { sku: s, available: 5 });
		const res = await api(base, "POST", "/api/inventory/stock", { sku: s, ...fields });
		expect(res.status).toBe(400);
		expect(res.body.error.code).toBe("VALIDATION_ERROR");
		expect(await stockViaGateway(base, s)).toEqual({ sku: s, available: 5, reserved: 0, confirmed: 0, version: 1 });
	});

	it("when X-API-Version is missing or unknown, then it is 400 and the correlation id is echoed", async () => {
		const missing = await api(
			base,
			"POST",
			"/api/inventory/reserve",
			{ orderId: "o", sku: "S", quantity: 1 },
			{
				"x-api-version": "",
				"x-correlation-id": "corr-42",
			},
		);
		expect([missing.status, missing.body.error.code, missing.body.error.correlationId]).toEqual([
			400,
			"API_VERSION_REQUIRED",
			"corr-42",
		]);
		expect(missing.headers.get("x-correlation-id")).toBe("corr-42");
		const wrong = await api(base, "GET", "/api/inventory/stock/S", undefined, { "x-api-version": "v9" });
		expect([wrong.status, wrong.body.error.code]).toEqual([400, "UNSUPPORTED_API_VERSION"]);
		expect(wrong.body.error.message).toContain("send X-API-Version: v1");
	});
});

describe("reservation expiry", () => {
	it("when a reservation outlives its TTL, then the sweep releases it through the actor", async () => {
		const config = testConfig({
			DATABASE_URL: infra.databaseUrl,
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			INVENTORY_RESERVATION_TTL_S: "1",
			SERVICES: "inventory",
			INVENTORY_SWEEP_INTERVAL_S: "1",
			...METRICS_ON,
		});
		const broker = await startBroker(config, [inventoryService(config)]);
		try {
			const s = `SKU-${uniqueId()}`;
			await broker.call("inventory.setStock", { sku: s, available: 5 });
			await broker.call("inventory.reserve", { orderId: "early", sku: s, quantity: 2 });
			expect(await broker.call("inventory.getStock", { sku: s })).toMatchObject({ available: 3, reserved: 2 });

			let stock: { available: number; reserved: number } = { available: 0, reserved: 2 };
			for (let i = 0; i < 50 && stock.reserved > 0; i++) {
				await new Promise((r) => setTimeout(r, 200));
				stock = await broker.call("inventory.getStock", { sku: s });
			}
			expect(stock).toMatchObject({ available: 5, reserved: 0 });
			await expect(broker.call("inventory.confirm", { orderId: "early", sku: s })).rejects.toMatchObject({
				type: "INVALID_RESERVATION_STATE",
			});
			expect(metricTotal(broker, "shop_inventory_expired_total")).toBeGreaterThanOrEqual(1);
		} finally {
			await broker.stop();
		}
	});
});
