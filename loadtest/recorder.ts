/**
 * Every answer of a run, kept whole (a few hundred thousand rows at most): gates and report read
 * exact percentiles from them, per flow, step and outcome, and per second of the run.
 */

/** The tags a sample carries; gates select on them (`http_req_duration{flow:browse}`). */
export interface SampleTags {
	flow: string;
	step: string;
	/** A business outcome worth its own latency (e.g. "sold_out"); "" when none. */
	outcome: string;
}

export interface Sample extends SampleTags {
	/** Milliseconds since the measured phase began, when the answer arrived. */
	atMs: number;
	latencyMs: number;
	/** HTTP status; 0 when no answer came (timeout, connection error). */
	status: number;
	/** False when the status was not one the step expects. */
	ok: boolean;
	/** `<status> <error code>` for an answer that is not the step's success; "" otherwise. */
	errorKey: string;
}

/** Up to expm1(700 / 50) ms, ~20 minutes: longer than any request timeout. */
const COARSE_BUCKETS = 700;

export class Recorder {
	readonly samples: Sample[] = [];
	/** Named counters (server_errors, oversold, ...) and rates (cart_consistency, ...). */
	readonly counters = new Map<string, number>();
	readonly rates = new Map<string, { passes: number; total: number }>();
	/** Answers by error key, kept as they come: the progress line reads them every second. */
	readonly errorCounts = new Map<string, number>();
	/**
	 * Answered latencies in buckets 2 % wide (bucket i holds ~expm1(i / 50) ms), for the progress line's
	 * p95: sorting every sample each second took the generator's CPU from the shop it measures.
	 */
	private readonly coarse = new Uint32Array(COARSE_BUCKETS);
	private answered = 0;
	private startedAt = performance.now();

	/** Restarts the clock: samples before it (set-up, warm-up) are not part of the run. */
	start(): void {
		this.samples.length = 0;
		this.errorCounts.clear();
		this.coarse.fill(0);
		this.answered = 0;
		this.startedAt = performance.now();
	}

	elapsedMs(): number {
		return performance.now() - this.startedAt;
	}

	record(tags: SampleTags, latencyMs: number, status: number, ok: boolean, errorKey: string): void {
		this.samples.push({ ...tags, atMs: this.elapsedMs(), latencyMs, status, ok, errorKey });
		// A designed 5xx (a step's expectedErrors, e.g. 503 CHECKOUT_BUSY) is an answer, not a server error.
		if (status >= 500 && !ok) this.add("server_errors", 1);
		if (errorKey) this.errorCounts.set(errorKey, (this.errorCounts.get(errorKey) ?? 0) + 1);
		if (status !== 0) {
			const bucket = Math.min(COARSE_BUCKETS - 1, Math.round(Math.log1p(latencyMs) * 50));
			this.coarse[bucket] = (this.coarse[bucket] ?? 0) + 1;
			this.answered++;
		}
	}

	/** The p95 of the answers so far, within 2 % (the report's percentiles are exact); null before any. */
	approximateP95(): number | null {
		if (this.answered === 0) return null;
		let seen = 0;
		for (let i = 0; i < COARSE_BUCKETS; i++) {
			seen += this.coarse[i] as number;
			if (seen >= this.answered * 0.95) return Math.expm1(i / 50);
		}
		return Math.expm1((COARSE_BUCKETS - 1) / 50);
	}

	add(counter: string, amount: number): void {
		this.counters.set(counter, (this.counters.get(counter) ?? 0) + amount);
	}

	rate(name: string, passed: boolean): void {
		const rate = this.rates.get(name) ?? { passes: 0, total: 0 };
		rate.total += 1;
		if (passed) rate.passes += 1;
		this.rates.set(name, rate);
	}
}

/** The error code of a standard error body (`{"error":{"code"}}`), or "" when it has none. */
export function errorCodeOf(body: string): string {
	try {
		const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
		return typeof code === "string" ? code : "";
	} catch {
		return "";
	}
}
