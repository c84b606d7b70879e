/**
 * SLO gates in k6's threshold syntax, read from `gates.json` (which the k6 scripts read too), and
 * evaluated against a run's samples: `http_req_duration{flow:browse}` with `p(95)<180`,
 * `http_req_failed` with `rate<0.02`, a counter with `count==0`, a rate with `rate>0.99`.
 */
import fs from "node:fs";
import path from "node:path";
import { percentile } from "./percentiles";
import type { Recorder, Sample } from "./recorder";
import type { GateResult } from "./report/load-report";

export const DEFAULT_GATES_FILE = path.join(__dirname, "gates.json");

/** metric expression -> thresholds, as in k6's `options.thresholds`. */
export type GateSet = Record<string, string[]>;

export function loadGates(suite: string, profile: string, file = DEFAULT_GATES_FILE): GateSet {
	const all = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, Record<string, GateSet>>;
	const gates = all[suite]?.[profile];
	if (!gates) throw new Error(`${file} has no gates for suite "${suite}", profile "${profile}"`);
	return gates;
}

interface MetricExpression {
	name: string;
	tags: Record<string, string>;
}

export function parseMetric(expression: string): MetricExpression {
	const match = /^([a-z_]+)(?:\{([^}]*)\})?$/.exec(expression);
	if (!match?.[1]) throw new Error(`bad gate metric "${expression}"`);
	const tags: Record<string, string> = {};
	for (const pair of (match[2] ?? "").split(",").filter(Boolean)) {
		const [key, value] = pair.split(":");
		if (!key || value === undefined) throw new Error(`bad tag "${pair}" in gate metric "${expression}"`);
		tags[key.trim()] = value.trim();
	}
	return { name: match[1], tags };
}

interface Threshold {
	aggregate: string;
	op: "<" | "<=" | ">" | ">=" | "==";
	value: number;
}

export function parseThreshold(threshold: string): Threshold {
	const match = /^(p\(\d+(?:\.\d+)?\)|avg|min|max|med|rate|count)\s*(<=|>=|==|<|>)\s*(\d+(?:\.\d+)?)$/.exec(threshold);
	if (!match?.[1] || !match[2] || !match[3]) throw new Error(`bad gate threshold "${threshold}"`);
	return { aggregate: match[1], op: match[2] as Threshold["op"], value: Number(match[3]) };
}

function holds(measured: number, op: Threshold["op"], value: number): boolean {
	switch (op) {
		case "<":
			return measured < value;
		case "<=":
			return measured <= value;
		case ">":
			return measured > value;
		case ">=":
			return measured >= value;
		case "==":
			return measured === value;
	}
}

function matching(samples: Sample[], tags: Record<string, string>): Sample[] {
	const entries = Object.entries(tags) as [keyof Sample, string][];
	return samples.filter((sample) => entries.every(([key, value]) => sample[key] === value));
}

function durationAggregate(latencies: Float64Array, aggregate: string): number | null {
	if (latencies.length === 0) return null;
	const p = /^p\((.+)\)$/.exec(aggregate);
	if (p?.[1]) return percentile(latencies, Number(p[1]));
	if (aggregate === "med") return percentile(latencies, 50);
	if (aggregate === "min") return latencies[0] ?? null;
	if (aggregate === "max") return latencies[latencies.length - 1] ?? null;
	if (aggregate === "avg") return latencies.reduce((a, b) => a + b, 0) / latencies.length;
	throw new Error(`http_req_duration has no "${aggregate}"`);
}

/** What a metric measured in this run; null when it has no data (a gate on no data fails). */
function measure(recorder: Recorder, metric: MetricExpression, aggregate: string): number | null {
	if (metric.name === "http_req_duration") {
		const answered = matching(recorder.samples, metric.tags).filter((sample) => sample.status !== 0);
		return durationAggregate(Float64Array.from(answered, (sample) => sample.latencyMs).sort(), aggregate);
	}
	if (metric.name === "http_req_failed") {
		const samples = matching(recorder.samples, metric.tags);
		return samples.length ? samples.filter((sample) => !sample.ok).length / samples.length : null;
	}
	if (Object.keys(metric.tags).length) throw new Error(`${metric.name} has no tags to select on`);
	if (aggregate === "count") return recorder.counters.get(metric.name) ?? 0;
	if (aggregate === "rate") {
		const rate = recorder.rates.get(metric.name);
		return rate?.total ? rate.passes / rate.total : null;
	}
	throw new Error(`${metric.name} has no "${aggregate}"`);
}

const rounded = (value: number | null) => (value === null ? null : Math.round(value * 10_000) / 10_000);

export function evaluateGates(gates: GateSet, recorder: Recorder): GateResult[] {
	const results: GateResult[] = [];
	for (const [expression, thresholds] of Object.entries(gates)) {
		const metric = parseMetric(expression);
		for (const threshold of thresholds) {
			const { aggregate, op, value } = parseThreshold(threshold);
			const measured = measure(recorder, metric, aggregate);
			results.push({
				metric: expression,
				threshold,
				measured: rounded(measured),
				passed: measured !== null && holds(measured, op, value),
			});
		}
	}
	return results;
}
