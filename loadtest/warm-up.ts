/**
 * `--warmup <duration>`: the suite's flows run for a while before the measured phase, so a cluster
 * started a moment ago is measured warm (JIT-compiled code, open connection pools, filled caches): on
 * a fresh cluster the first ~5 s of the baseline mix answered at p95 150-550 ms against ~100 ms after,
 * and being ~8 % of a 60 s run's answers they set much of its p95. What the warm-up answered is
 * reported beside the run (never dropped silently); a failure during it breaks the run's checks.
 */

import type { Flow } from "./flow";
import { summarizeLatencies } from "./percentiles";
import type { Recorder } from "./recorder";
import type { CheckResult } from "./report/load-report";
import { runFlows } from "./run-flows";

export interface WarmupRecord {
	durationS: number;
	requests: number;
	failed: number;
	p50Ms: number | null;
	p95Ms: number | null;
	p99Ms: number | null;
}

/** Runs the flows for `seconds` on `recorder`; answers what they did. The caller restarts the recorder after. */
export async function warmUp(
	baseUrl: string,
	flows: Flow<unknown>[],
	recorder: Recorder,
	seconds: number,
): Promise<WarmupRecord> {
	recorder.start();
	const run = runFlows(baseUrl, flows, recorder, { durationS: seconds, requests: null });
	const stop = () => run.stop();
	process.once("SIGINT", stop);
	await run.done;
	process.removeListener("SIGINT", stop);
	const { p50Ms, p95Ms, p99Ms } = summarizeLatencies(
		recorder.samples.filter((sample) => sample.status !== 0).map((sample) => sample.latencyMs),
	);
	return {
		durationS: seconds,
		requests: recorder.samples.length,
		failed: recorder.samples.filter((sample) => !sample.ok).length,
		p50Ms,
		p95Ms,
		p99Ms,
	};
}

export function warmupCheck(warmup: WarmupRecord): CheckResult {
	return {
		name: "no failed requests while warming up",
		passed: warmup.failed === 0,
		detail: `${warmup.requests} requests in ${warmup.durationS} s before the measured phase, p95 ${warmup.p95Ms} ms, ${warmup.failed} failed`,
	};
}
