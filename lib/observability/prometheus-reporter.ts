import { MetricReporters } from "moleculer";

interface HistogramItem {
	labels: Record<string, unknown>;
	buckets?: Record<string, number>;
	count: number;
	sum: number;
}

interface RegistryMetric {
	name: string;
	type: string;
	quantiles?: unknown;
	snapshot(): unknown[];
}

/**
 * Moleculer's Prometheus reporter, plus the `_sum` and `_count` series every Prometheus histogram has.
 * Moleculer writes them only for histograms that also compute quantiles, so `rate(x_sum) / rate(x_count)`
 * (the mean batch size, the mean sweep time) had nothing to read. They go right after each series'
 * `+Inf` bucket, inside its metric family, as the text format requires.
 */
export class ShopPrometheusReporter extends MetricReporters.Prometheus {
	override generatePrometheusResponse(): string {
		const text = super.generatePrometheusResponse();
		const after = new Map<string, string[]>();
		const store = (this.registry as unknown as { store: Map<string, RegistryMetric> }).store;
		for (const metric of store.values()) {
			if (metric.type !== "histogram" || metric.quantiles) continue;
			const name = this.formatMetricName(metric.name).replace(/[.-]/g, "_");
			for (const item of metric.snapshot() as HistogramItem[]) {
				if (!item.buckets) continue;
				const lastBucket = `${name}_bucket${this.labelsToStr(item.labels, { le: "+Inf" })} ${item.count}`;
				const labels = this.labelsToStr(item.labels);
				after.set(lastBucket, [`${name}_sum${labels} ${item.sum}`, `${name}_count${labels} ${item.count}`]);
			}
		}
		if (after.size === 0) return text;
		return text
			.split("\n")
			.flatMap((line) => [line, ...(after.get(line) ?? [])])
			.join("\n");
	}
}
