import { LatencyRecorder } from "./latency-recorder";

/** One request of a load: resolves when it succeeded, throws when it failed. */
export type Request = (sequence: number) => Promise<void>;

export type LoadShape =
	/** Run for a time; only completions inside the measured window count for rate and latency. */
	| { kind: "timed"; inflight: number; warmupMs: number; durationMs: number }
	/** Send exactly `requests` requests, all measured. */
	| { kind: "counted"; inflight: number; requests: number };

export interface LoadResult {
	/** Seconds the measured window lasted. */
	windowSeconds: number;
	/** Successful completions inside the window, with their latencies. */
	latencies: LatencyRecorder;
	/** Failed completions inside the window, by error label. */
	errors: Map<string, number>;
	/** Every successful reply of the whole run (warm-up and drain included): what the database must hold. */
	totalSuccesses: number;
	/** Every failed reply of the whole run, by error label. */
	totalErrors: Map<string, number>;
}

/** A short label for a failure: the Moleculer error type, else its name. */
export function errorLabel(err: unknown): string {
	const e = err as { type?: unknown; name?: unknown; code?: unknown };
	if (typeof e?.type === "string" && e.type) return e.type;
	if (typeof e?.name === "string" && e.name) return e.name;
	return String(e?.code ?? "UNKNOWN");
}

function bump(counts: Map<string, number>, label: string): void {
	counts.set(label, (counts.get(label) ?? 0) + 1);
}

/**
 * A closed loop: `inflight` workers, each starting its next request the moment the previous one
 * completes, so exactly that many are always outstanding. Unlike an open-loop rate, this measures
 * what the system sustains at a fixed concurrency. Resolves after every in-flight request ended.
 */
export async function runClosedLoop(shape: LoadShape, request: Request): Promise<LoadResult> {
	const latencies = new LatencyRecorder();
	const errors = new Map<string, number>();
	const totalErrors = new Map<string, number>();
	let totalSuccesses = 0;
	let sequence = 0;

	const startedAt = performance.now();
	const windowStart = shape.kind === "timed" ? startedAt + shape.warmupMs : startedAt;
	const windowEnd = shape.kind === "timed" ? windowStart + shape.durationMs : Number.POSITIVE_INFINITY;
	const more = () => (shape.kind === "timed" ? performance.now() < windowEnd : sequence < shape.requests);

	const worker = async () => {
		while (more()) {
			const sent = performance.now();
			let failure: unknown;
			let failed = false;
			try {
				await request(sequence++);
			} catch (err) {
				failed = true;
				failure = err;
			}
			const done = performance.now();
			const inWindow = done >= windowStart && done <= windowEnd;
			if (failed) {
				const label = errorLabel(failure);
				bump(totalErrors, label);
				if (inWindow) bump(errors, label);
				// A locally rejected call (e.g. an open circuit breaker) fails without I/O; yield a
				// macrotask so a storm of such failures cannot starve the event loop.
				await new Promise<void>((resolve) => setImmediate(resolve));
			} else {
				totalSuccesses++;
				if (inWindow) latencies.record(done - sent);
			}
		}
	};

	await Promise.all(Array.from({ length: shape.inflight }, worker));
	const finishedAt = performance.now();
	const windowSeconds = (Math.min(finishedAt, windowEnd) - windowStart) / 1000;
	return { windowSeconds, latencies, errors, totalSuccesses, totalErrors };
}
