/**
 * Events written while a node starts (the embedded demo catalog's product events) are published once the
 * node's event adapter has connected, quietly: a healthy start prints no warning.
 */
import productsService from "../../../services/products/products.service";
import { startBroker, testConfig, uniqueId } from "../../support/brokers";
import { waitFor } from "../../support/events/harness";

describe("events written while a node starts", () => {
	it("when the embedded catalog seeds its demo products at start, then their events are published and nothing is warned", async () => {
		const warned = jest.spyOn(console, "warn");
		const config = testConfig({ DB_NAME_PREFIX: `shop_t${uniqueId()}_`, SEED_DEMO_DATA: "true" });
		const broker = await startBroker(config, [productsService(config)]);
		try {
			const outbox = await waitFor("the demo catalog's events to be published", async () => {
				const status = await broker.call<{ pending: number; failed: number }>("products.outboxStatus");
				return status.pending === 0 ? status : undefined;
			});
			expect(outbox.failed).toBe(0);
			const published = await broker.call<{ total: number }, { size: number }>("products.list", { size: 1 });
			expect(published.total).toBeGreaterThan(0);
			expect(warned.mock.calls.map((args) => String(args[0]))).toEqual([]);
		} finally {
			warned.mockRestore();
			await broker.stop();
		}
	});
});
