import type { ServiceSchema } from "moleculer";
import { defineService } from "../../lib/define-schema";
import { type MetricsMethods, MetricsMixin } from "../../mixins/metrics.mixin";
import { startBroker, testConfig } from "../support/brokers";

const counterService: ServiceSchema = defineService<object, MetricsMethods>({
	name: "counter",
	mixins: [
		MetricsMixin([
			{ type: "counter", name: "shop_test_things_total", description: "Things", labelNames: ["result"] },
			{ type: "histogram", name: "shop_test_batch_size", description: "Batch", buckets: [1, 5, 10] },
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
});
