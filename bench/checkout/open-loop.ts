import { errorLabel } from "../support/closed-loop";
import { LatencyRecorder } from "../support/latency-recorder";

export interface OpenLoopResult {
	/** Successful requests' latencies, each from when it was due (not when it was sent). */
	latencies: LatencyRecorder;
	errors: Map<string, number>;
	/** Requests started; equals rate × seconds unless the loop fell behind its own schedule. */
	sent: number;
	/** The most requests that were in flight at once. */
	maxInflight: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An open loop: `rate` requests per second for `seconds`, each started when it is due whether or
 * not the earlier ones have answered (as independent shoppers arrive). A request's latency counts
 * from when it was due, so a slow answer cannot delay the next request and hide its own wait
 * (coordinated omission). Resolves once every request has answered.
 */
export async function runOpenLoop(
	rate: number,
	seconds: number,
	request: (sequence: number) => Promise<void>,
): Promise<OpenLoopResult> {
	const latencies = new LatencyRecorder();
	const errors = new Map<string, number>();
	const total = Math.round(rate * seconds);
	const intervalMs = 1000 / rate;
	const started = performance.now();
	const pending: Promise<void>[] = [];
	let inflight = 0;
	let maxInflight = 0;
	for (let i = 0; i < total; i++) {
		const due = started + i * intervalMs;
		const wait = due - performance.now();
		if (wait > 1) await sleep(wait);
		inflight++;
		maxInflight = Math.max(maxInflight, inflight);
		pending.push(
			request(i).then(
				() => {
					inflight--;
					latencies.record(performance.now() - due);
				},
				(err: unknown) => {
					inflight--;
					const label = errorLabel(err);
					errors.set(label, (errors.get(label) ?? 0) + 1);
				},
			),
		);
	}
	await Promise.all(pending);
	return { latencies, errors, sent: total, maxInflight };
}
