import { percentile as nearestRank } from "../bench/support/percentile";
import type { LatencySummary } from "./report/load-report";

/** The p-th percentile (nearest rank) of ascending `sorted`; null when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
	return nearestRank(sorted, p) ?? null;
}

const round = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);

export function summarizeLatencies(latencies: number[]): LatencySummary {
	const sorted = Float64Array.from(latencies).sort();
	const sum = sorted.reduce((total, value) => total + value, 0);
	return {
		count: sorted.length,
		meanMs: round(sorted.length ? sum / sorted.length : null),
		p50Ms: round(percentile(sorted, 50)),
		p95Ms: round(percentile(sorted, 95)),
		p99Ms: round(percentile(sorted, 99)),
		maxMs: round(sorted.length ? (sorted[sorted.length - 1] ?? null) : null),
	};
}
