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

export class Recorder {
	readonly samples: Sample[] = [];
	/** Named counters (server_errors, oversold, ...) and rates (cart_consistency, ...). */
	readonly counters = new Map<string, number>();
	readonly rates = new Map<string, { passes: number; total: number }>();
	private startedAt = performance.now();

	/** Restarts the clock: samples before it (set-up, warm-up) are not part of the run. */
	start(): void {
		this.samples.length = 0;
		this.startedAt = performance.now();
	}

	elapsedMs(): number {
		return performance.now() - this.startedAt;
	}

	record(tags: SampleTags, latencyMs: number, status: number, ok: boolean, errorKey: string): void {
		this.samples.push({ ...tags, atMs: this.elapsedMs(), latencyMs, status, ok, errorKey });
		if (status >= 500) this.add("server_errors", 1);
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
