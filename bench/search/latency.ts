import { percentile } from "../support/percentile";

/** Exact percentiles of every call (nearest rank), in milliseconds. */
export interface Latency {
	count: number;
	p50: number;
	p95: number;
	p99: number;
	max: number;
}

/**
 * Runs `call` for each item, one at a time (latency, not throughput: the next call starts when the
 * previous one answered), and keeps every duration.
 */
export async function timeEach<T>(items: readonly T[], call: (item: T) => Promise<unknown>): Promise<Latency> {
	const times: number[] = [];
	for (const item of items) {
		const started = performance.now();
		await call(item);
		times.push(performance.now() - started);
	}
	times.sort((a, b) => a - b);
	const at = (p: number) => percentile(times, p) ?? Number.NaN;
	return { count: times.length, p50: at(50), p95: at(95), p99: at(99), max: times[times.length - 1] ?? Number.NaN };
}
