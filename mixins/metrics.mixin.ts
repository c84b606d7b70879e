import type { Service, ServiceSchema } from "moleculer";
import { defineMixin } from "../lib/define-schema";

export interface MetricDefinition {
	type: "counter" | "gauge" | "histogram";
	name: string;
	description: string;
	labelNames?: readonly string[];
	unit?: string;
	/** Histogram buckets. */
	buckets?: readonly number[];
}

type Labels = Record<string, string | number>;

export interface MetricsMethods {
	countMetric(name: string, labels?: Labels, by?: number): void;
	setGauge(name: string, value: number, labels?: Labels): void;
	observeMetric(name: string, value: number, labels?: Labels): void;
}

export type MetricsService = Service & MetricsMethods;

/**
 * Registers a service's business metrics on the broker's registry (exported by the built-in
 * Prometheus reporter) and gives it three one-line methods to record them. Safe when metrics are
 * disabled and when several instances register the same metric in one process.
 */
export function MetricsMixin(definitions: readonly MetricDefinition[]): Partial<ServiceSchema> {
	return defineMixin<object, MetricsMethods>({
		created() {
			const registry = this.broker.metrics;
			for (const def of definitions) {
				if (!registry.hasMetric(def.name))
					registry.register({
						...def,
						labelNames: [...(def.labelNames ?? [])],
						buckets: def.buckets ? [...def.buckets] : undefined,
					} as unknown as Parameters<typeof registry.register>[0]);
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
