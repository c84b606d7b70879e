import type { ServiceSchema } from "moleculer";
import { defineService } from "../../lib/define-schema";
import { type MetricsMethods, MetricsMixin } from "../../mixins/metrics.mixin";
import inventoryService from "../../services/inventory/inventory.service";
import ordersService from "../../services/orders/orders.service";
import paymentsService from "../../services/payments/payments.service";
import productsService from "../../services/products/products.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { infra } from "../support/infra";
import { METRICS_ON, samplesOf, scrapeMetrics } from "../support/metrics";

const counterService: ServiceSchema = defineService<object, MetricsMethods>({
	name: "counter",
	mixins: [
		MetricsMixin([
			{ type: "counter", name: "shop_test_things_total", description: "Things", labelNames: ["result"] },
			{ type: "histogram", name: "shop_test_batch_size", description: "Batch", buckets: [1, 5, 10] },
			{ type: "counter", name: "shop_test_failures_total", description: "Failures" },
			{
				type: "counter",
				name: "shop_test_outcomes_total",
				description: "Outcomes",
				labelNames: ["service", "outcome"],
				zeroSeries: (service) => [{ service, outcome: "lost" }],
			},
		]),
	],
	actions: {
		record() {
			this.countMetric("shop_test_things_total", { result: "ok" });
			this.countMetric("shop_test_things_total", { result: "ok" }, 2);
			this.observeMetric("shop_test_batch_size", 7);
			this.observeMetric("shop_test_batch_size", 2);
		},
	},
});

describe("metrics.mixin", () => {
	it("when a service records metrics, then the node's Prometheus endpoint exports them", async () => {
		const port = 39_000 + Math.floor(Math.random() * 1000);
		const broker = await startBroker(testConfig({ METRICS_ENABLED: "true", METRICS_PORT: String(port) }), [
			counterService,
		]);
		try {
			await broker.call("counter.record");
			const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
			expect(text).toMatch(/shop_test_things_total\{[^}]*result="ok"[^}]*\} 3/);
			expect(text).toMatch(/shop_test_batch_size_bucket\{[^}]*le="10"[^}]*\} 2/);
			// A Prometheus histogram has _sum and _count, inside its family (after its +Inf bucket).
			const family = text.slice(text.indexOf("# TYPE shop_test_batch_size histogram")).split("\n# ")[0] ?? "";
			expect(family).toMatch(
				/\nshop_test_batch_size_bucket\{[^}]*le="\+Inf"[^}]*\} 2\nshop_test_batch_size_sum\{[^}]*\} 9\nshop_test_batch_size_count\{[^}]*\} 2\n/,
			);
			expect(text).toMatch(/moleculer_request_total/);
		} finally {
			await broker.stop();
		}
	});

	it("when metrics are disabled, then recording is a no-op, not an error", async () => {
		const broker = await startBroker(testConfig({ METRICS_ENABLED: "false" }), [counterService]);
		try {
			await expect(broker.call("counter.record")).resolves.toBeUndefined();
		} finally {
			await broker.stop();
		}
	});

	it("when a service has counted nothing yet, then its counters are exported at 0 (unlabelled, and the zeroSeries it names)", async () => {
		const broker = await startBroker(testConfig(METRICS_ON), [counterService]);
		try {
			const before = await scrapeMetrics(broker);
			expect(samplesOf(before, "shop_test_failures_total").map((s) => s.value)).toEqual([0]);
			expect(samplesOf(before, "shop_test_outcomes_total")).toEqual([
				expect.objectContaining({ labels: expect.objectContaining({ service: "counter", outcome: "lost" }), value: 0 }),
			]);
			// A labelled counter without zeroSeries, and histograms, still appear with their first value.
			expect(samplesOf(before, "shop_test_things_total")).toEqual([]);
			await broker.call("counter.record");
			const after = await scrapeMetrics(broker);
			expect(samplesOf(after, "shop_test_things_total", { result: "ok" }).map((s) => s.value)).toEqual([3]);
			expect(samplesOf(after, "shop_test_failures_total").map((s) => s.value)).toEqual([0]);
		} finally {
			await broker.stop();
		}
	});
});

describe("counters the alert rules read (infra/prometheus/rules)", () => {
	it("when a node with the shop's services has just started, then each of them is exported at 0 for every known label value", async () => {
		const config = testConfig({
			...METRICS_ON,
			DATABASE_URL: infra.databaseUrl,
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			SEED_DEMO_DATA: "false",
		});
		const broker = await startBroker(config, [
			inventoryService(config),
			ordersService(config),
			paymentsService(config),
			productsService(config),
		]);
		try {
			const samples = await scrapeMetrics(broker);
			const valuesOf = (name: string, labels: Record<string, string> = {}) =>
				samplesOf(samples, name, labels).map((s) => s.value);

			for (const name of [
				"shop_inventory_fence_conflicts_total",
				"shop_inventory_duplicate_reservations_total",
				"shop_inventory_stale_states_total",
				"shop_inventory_batch_failures_total",
				"shop_inventory_saga_settle_conflicts_total",
				"order_saga_timeout_total",
			]) {
				expect([name, valuesOf(name)]).toEqual([name, [0]]);
			}
			for (const service of ["inventory", "orders", "payments", "products"]) {
				expect(valuesOf("shop_outbox_failed_total", { service })).toEqual([0]);
			}
			for (const consumer of ["inventory", "orders", "payments"]) {
				expect(valuesOf("shop_events_duplicates_skipped_total", { consumer })).toEqual([0]);
			}
			for (const operation of ["createIntent", "capture", "void"]) {
				expect(valuesOf("payment_provider_retry_total", { operation })).toEqual([0]);
				expect(valuesOf("payment_provider_dlq_total", { operation })).toEqual([0]);
				expect(valuesOf("payment_provider_requeue_total", { operation, result: "failed" })).toEqual([0]);
			}
			expect(valuesOf("payment_provider_outage_toggle_total", { enabled: "true" })).toEqual([0]);
			expect(valuesOf("shop_orders_terminal_total", { status: "TIMED_OUT", reason: "PAYMENT_TIMEOUT" })).toEqual([0]);
			expect(valuesOf("shop_orders_terminal_total", { status: "CONFIRMED" })).toEqual([0]);
			expect(valuesOf("shop_inventory_reservations_total", { result: "replayed" })).toEqual([0]);
			// Each series once per node: the reporter adds the node's labels.
			expect(samplesOf(samples, "shop_outbox_failed_total", { service: "orders" })[0]?.labels.nodeID).toBe(
				broker.nodeID,
			);
		} finally {
			await broker.stop();
		}
	});
});
