import type { Flow } from "./flow";
import type { Recorder } from "./recorder";
import type { CheckResult } from "./report/load-report";
import type { ShopApi } from "./shop-api";

/** What a suite gets to prepare its data and flows. */
export interface SuiteContext {
	api: ShopApi;
	operator: string;
	/** Unique per run: names of products, shoppers and orders carry it. */
	runId: string;
	vus: number;
	rate: number | null;
	/** Shoppers to sign up (suites with tokens); defaults to the users the suite needs. */
	users: number | null;
	/** Requests the run will make, when it is bounded by requests (flash sale). */
	requests: number | null;
	recorder: Recorder;
	log(line: string): void;
	/** Suite options from the command line (`--units 5000`, ...). */
	extra: Record<string, string>;
}

/** A suite ready to run: its flows, what to record of its settings, and the checks after the load. */
export interface PreparedSuite {
	flows: Flow<unknown>[];
	settings: Record<string, unknown>;
	/** Runs after the load has stopped: invariants, drained orders, ... */
	check(): Promise<CheckResult[]>;
}

export interface Suite {
	name: string;
	description: string;
	defaults: { vus: number; rate: number | null; durationS: number | null; requests: number | null };
	prepare(context: SuiteContext): Promise<PreparedSuite>;
}
