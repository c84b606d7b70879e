/**
 * What a load run writes to `loadtest/reports/<suite>-<timestamp>.json`, and what the HTML report
 * draws. Latencies are milliseconds; times in `timeline` are seconds since the measured phase began.
 */
export interface LoadReport {
	suite: string;
	startedAt: string;
	finishedAt: string;
	settings: LoadSettingsRecord;
	machine: MachineRecord;
	totals: {
		requests: number;
		durationS: number;
		throughputPerS: number;
		/** Requests whose status the step did not expect (or that got no answer). */
		failed: number;
		failedRate: number;
	};
	latency: LatencySummary;
	/** One row per step of a flow ("browse/list", "checkout/place_order", ...). */
	steps: StepSummary[];
	/** One row per second of the measured phase. */
	timeline: TimelinePoint[];
	/** The same per flow ("browse", "cart", ...): a mixed suite's warm-up or stall shows which flow it hit. */
	timelineByFlow: Record<string, TimelinePoint[]>;
	/** Latency histogram over logarithmic buckets: `count` answers took at most `upToMs` (and more than the previous bucket). */
	histogram: { upToMs: number; count: number }[];
	/** Answers that were not the step's success, by "<status> <error code>" ("409 INSUFFICIENT_STOCK", "TIMEOUT"). */
	errorsByCode: Record<string, number>;
	/** Every answer by HTTP status ("200", "409", ...; "none" for no answer). */
	statuses: Record<string, number>;
	/** Invariants checked after the load (oversell, consistency, ...). */
	checks: CheckResult[];
	gates: GateResult[];
	/** True when every gate and every check passed. */
	passed: boolean;
}

export interface LoadSettingsRecord {
	url: string;
	/** "embedded": the run started the shop itself; "external": `--url`. */
	target: "embedded" | "external";
	gateProfile: string;
	vus: number;
	rate: number | null;
	durationS: number | null;
	requests: number | null;
	/** Suite-specific settings (units, users, shares, ...). */
	[key: string]: unknown;
}

export interface MachineRecord {
	hostname: string;
	cpus: number;
	cpuModel: string;
	memoryGiB: number;
	node: string;
	platform: string;
	/** 1, 5 and 15 minute load averages when the run started. */
	loadAverage: number[];
}

export interface LatencySummary {
	count: number;
	meanMs: number | null;
	p50Ms: number | null;
	p95Ms: number | null;
	p99Ms: number | null;
	maxMs: number | null;
}

export interface StepSummary extends LatencySummary {
	flow: string;
	step: string;
	failed: number;
}

export interface TimelinePoint {
	t: number;
	requests: number;
	failed: number;
	p50Ms: number | null;
	p95Ms: number | null;
	p99Ms: number | null;
}

export interface CheckResult {
	name: string;
	passed: boolean;
	detail: string;
}

export interface GateResult {
	/** The k6 metric expression, e.g. `http_req_duration{flow:browse}`. */
	metric: string;
	/** The k6 threshold, e.g. `p(95)<180`. */
	threshold: string;
	measured: number | null;
	passed: boolean;
}
