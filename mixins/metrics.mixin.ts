import type { ServiceSchema } from "moleculer";
import { defineMixin } from "../lib/define-schema";

export type Labels = Record<string, string | number>;

export interface MetricDefinition {
	type: "counter" | "gauge" | "histogram";
	name: string;
	description: string;
	labelNames?: readonly string[];
	unit?: string;
	/** Histogram buckets. */
	buckets?: readonly number[];
	/**
	 * A labelled counter's series exported at 0 from the service's start (an unlabelled counter always
	 * is), given the service's name. Moleculer exports a series only from its first increment, so a
	 * node's first failure would arrive as a new series at 1, which `increase()` cannot see.
	 */
	zeroSeries?: (serviceName: string) => readonly Labels[];
}

/** The series of a counter that exist at 0 before anything is counted. */
function zeroSeriesOf(def: MetricDefinition, serviceName: string): readonly Labels[] {
	if (def.type !== "counter") return [];
	if (!def.labelNames?.length) return [{}];
	return def.zeroSeries?.(serviceName) ?? [];
}

export interface MetricsMethods {
	countMetric(name: string, labels?: Labels, by?: number): void;
	setGauge(name: string, value: number, labels?: Labels): void;
	observeMetric(name: string, value: number, labels?: Labels): void;
}

/**
 * Registers a service's business metrics on the broker's registry (exported by the built-in
 * Prometheus reporter) and gives it three one-line methods to record them. Safe when metrics are
 * disabled and when several instances register the same metric in one process. Counters are exported at
 * 0 from the start (see `zeroSeries`), so that an alert on their `increase()` sees the first event.
 */
export function MetricsMixin(definitions: readonly MetricDefinition[]): Partial<ServiceSchema> {
	return defineMixin<object, MetricsMethods>({
		created() {
			const registry = this.broker.metrics;
			for (const def of definitions) {
				const { zeroSeries: _, ...options } = def;
				if (!registry.hasMetric(def.name))
					registry.register({
						...options,
						labelNames: [...(def.labelNames ?? [])],
						buckets: def.buckets ? [...def.buckets] : undefined,
					} as unknown as Parameters<typeof registry.register>[0]);
				// Adding 0 creates the series and leaves one another instance already counted as it is.
				for (const labels of zeroSeriesOf(def, this.name)) registry.increment(def.name, labels, 0);
			}
		},
		methods: {
			countMetric(name: string, labels?: Labels, by = 1) {
				this.broker.metrics.increment(name, labels, by);
			},
			setGauge(name: string, value: number, labels?: Labels) {
				this.broker.metrics.set(name, value, labels);
			},
			observeMetric(name: string, value: number, labels?: Labels) {
				this.broker.metrics.observe(name, value, labels);
			},
		},
	});
}
