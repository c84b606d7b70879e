import inventoryService from "../../services/inventory/inventory.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { infra } from "../support/infra";
import { METRICS_ON, metricTotal, requestCount } from "../support/metrics";

const RESERVATIONS = "shop_inventory_reservations_total";

describe("transport batching of reserves", () => {
	it("when 200 orders reserve one SKU at once, then far fewer reserveBatch calls carry them, each caller gets its own answer and each reserve is counted by result", async () => {
		const config = testConfig({
			DATABASE_URL: infra.databaseUrl,
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			...METRICS_ON,
		});
		const broker = await startBroker(config, [inventoryService(config)]);
		try {
			const sku = `BATCH-${uniqueId()}`;
			await broker.call("inventory.setStock", { sku, available: 150 });
			const outcomes = await Promise.allSettled(
				Array.from({ length: 200 }, (_, i) =>
					broker.call("inventory.reserve", { orderId: `o${i}`, sku, quantity: i === 7 ? 0 : 1 }),
				),
			);
			// The invalid item fails alone, with the same error a single call would get.
			expect(outcomes[7]).toMatchObject({ status: "rejected", reason: { type: "VALIDATION_ERROR", code: 422 } });
			const reserved = outcomes.filter((o) => o.status === "fulfilled") as PromiseFulfilledResult<{
				orderId: string;
			}>[];
			expect(reserved).toHaveLength(150);
			for (const [i, o] of outcomes.entries()) {
				if (o.status === "fulfilled") expect((o.value as { orderId: string }).orderId).toBe(`o${i}`);
				else if (i !== 7) expect(o.reason.type).toBe("INSUFFICIENT_STOCK");
			}
			expect(requestCount(broker, "inventory.reserveBatch")).toBeLessThanOrEqual(5);
			expect(requestCount(broker, "inventory.reserve")).toBe(0);
			// Counted per item by result, though recorded once per call; the invalid item is not a reserve.
			expect(metricTotal(broker, RESERVATIONS, { result: "reserved" })).toBe(150);
			expect(metricTotal(broker, RESERVATIONS, { result: "insufficient_stock" })).toBe(49);
			expect(metricTotal(broker, RESERVATIONS)).toBe(199);
		} finally {
			await broker.stop();
		}
	});

	it("when batching is off, then every reserve is its own call, counted by result", async () => {
		const config = testConfig({
			DATABASE_URL: infra.databaseUrl,
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			...METRICS_ON,
			INVENTORY_CALL_BATCHING: "false",
		});
		const broker = await startBroker(config, [inventoryService(config)]);
		try {
			const sku = `SINGLE-${uniqueId()}`;
			await broker.call("inventory.setStock", { sku, available: 10 });
			await Promise.all(
				Array.from({ length: 10 }, (_, i) => broker.call("inventory.reserve", { orderId: `o${i}`, sku, quantity: 1 })),
			);
			await expect(broker.call("inventory.reserve", { orderId: "o-late", sku, quantity: 1 })).rejects.toMatchObject({
				type: "INSUFFICIENT_STOCK",
			});
			await expect(
				broker.call("inventory.reserve", { orderId: "o-lost", sku: `${sku}-UNKNOWN`, quantity: 1 }),
			).rejects.toMatchObject({ type: "SKU_NOT_FOUND" });
			expect(requestCount(broker, "inventory.reserve")).toBe(12);
			expect(requestCount(broker, "inventory.reserveBatch")).toBe(0);
			expect(metricTotal(broker, RESERVATIONS, { result: "reserved" })).toBe(10);
			expect(metricTotal(broker, RESERVATIONS, { result: "insufficient_stock" })).toBe(1);
			expect(metricTotal(broker, RESERVATIONS, { result: "sku_not_found" })).toBe(1);
		} finally {
			await broker.stop();
		}
	});

	it.each([
		["batched (reserveBatch)", "true"],
		["one call per reserve", "false"],
	])(
		"when an order reserves the same SKU again (%s), then the repeat returns the stored reservation and is counted as replayed, not reserved",
		async (_label, batching) => {
			const config = testConfig({
				DATABASE_URL: infra.databaseUrl,
				DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
				...METRICS_ON,
				INVENTORY_CALL_BATCHING: batching,
			});
			const broker = await startBroker(config, [inventoryService(config)]);
			try {
				const sku = `REPLAY-${uniqueId()}`;
				await broker.call("inventory.setStock", { sku, available: 10 });
				const first = await broker.call("inventory.reserve", { orderId: "o-1", sku, quantity: 2 });
				// A client's retry, and a concurrent pair of the same order.
				const again = await Promise.all(
					Array.from({ length: 3 }, () => broker.call("inventory.reserve", { orderId: "o-1", sku, quantity: 2 })),
				);
				for (const view of again) expect(view).toEqual(first);
				expect(await broker.call("inventory.getStock", { sku })).toMatchObject({ available: 8, reserved: 2 });
				expect(metricTotal(broker, RESERVATIONS, { result: "reserved" })).toBe(1);
				expect(metricTotal(broker, RESERVATIONS, { result: "replayed" })).toBe(3);
			} finally {
				await broker.stop();
			}
		},
	);
});
