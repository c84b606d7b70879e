import type mysql from "mysql2/promise";
import { type LoadResult, type LoadShape, runClosedLoop } from "./closed-loop";
import type { CpuMeter, CpuSnapshot, CpuUsage } from "./cpu-meter";
import { checkInvariant, type InvariantReport, notChecked } from "./invariant";
import type { ApproachKey } from "./settings";
import { readSqlCounters, type SqlCounters, sqlDelta } from "./sql-counters";

/** How a scenario reaches the system under test (over NATS or through the HTTP gateway). */
export interface ReserveClient {
	setStock(sku: string, available: number): Promise<void>;
	/** Reserves one unit; throws on any failure. */
	reserve(orderId: string, sku: string): Promise<void>;
}

export interface ScenarioSpec {
	approach: ApproachKey;
	label: string;
	transport: "NATS" | "HTTP";
	kind: "throughput" | "sell-out";
	sku: string;
	initialStock: number;
	load: LoadShape;
	/** Prefix of this scenario's order ids (unique per run and scenario). */
	orderPrefix: string;
	/** The database holding the approach's tables ("" = none, no invariant to check). */
	database: string;
}

export interface ScenarioResult {
	approach: ApproachKey;
	label: string;
	transport: "NATS" | "HTTP";
	kind: "throughput" | "sell-out";
	inflight: number;
	initialStock: number;
	/** Successful reservations per second in the measured window. */
	rate: number;
	/** Successful reservations in the measured window. */
	measured: number;
	/** The measured window (sell-out: from the first request to the last reply). */
	seconds: number;
	p50: number;
	p95: number;
	p99: number;
	/** Failed replies in the measured window (sell-out: all of them), by error label. */
	errors: Record<string, number>;
	successes: number;
	invariant: InvariantReport;
	/** Where the machine's CPU went during the measured window. */
	cpu: CpuUsage;
	/** Statements the database server ran during the measured window. */
	sql: SqlCounters;
}

/**
 * Drives the load and takes CPU and SQL-counter readings at the measured window's edges (the SQL
 * reading is a query: it lands a moment after the edge, which is noise at 10 s windows).
 */
async function measuredLoad(
	load: LoadShape,
	request: (sequence: number) => Promise<void>,
	meter: CpuMeter,
	db: mysql.Connection,
): Promise<{ load: LoadResult; cpu: CpuUsage; sql: SqlCounters }> {
	let cpuStart: CpuSnapshot = meter.snapshot();
	let sqlStart = readSqlCounters(db);
	let cpuEnd: CpuSnapshot | undefined;
	let sqlEnd: Promise<SqlCounters> | undefined;
	const atStart = () => {
		cpuStart = meter.snapshot();
		sqlStart = readSqlCounters(db);
	};
	const atEnd = () => {
		cpuEnd = meter.snapshot();
		sqlEnd = readSqlCounters(db);
	};
	const timers =
		load.kind === "timed"
			? [setTimeout(atStart, load.warmupMs), setTimeout(atEnd, load.warmupMs + load.durationMs)]
			: [];
	const result = await runClosedLoop(load, request);
	for (const timer of timers) clearTimeout(timer);
	if (!cpuEnd) atEnd();
	return {
		load: result,
		cpu: meter.usage(cpuStart, cpuEnd as CpuSnapshot),
		sql: sqlDelta(await sqlStart, await (sqlEnd as Promise<SqlCounters>)),
	};
}

/**
 * Sets the SKU's stock, drives the load, then checks the database. A sell-out also requires that
 * exactly the initial stock was reserved, no more (oversell) and no less (lost sales).
 */
export async function runScenario(
	spec: ScenarioSpec,
	client: ReserveClient,
	db: mysql.Connection,
	meter: CpuMeter,
): Promise<ScenarioResult> {
	await client.setStock(spec.sku, spec.initialStock);
	const { load, cpu, sql } = await measuredLoad(
		spec.load,
		(sequence) => client.reserve(`${spec.orderPrefix}-${sequence}`, spec.sku),
		meter,
		db,
	);
	const invariant = spec.database
		? await checkInvariant(db, {
				database: spec.database,
				sku: spec.sku,
				initialStock: spec.initialStock,
				successfulReplies: load.totalSuccesses,
			})
		: notChecked();
	if (spec.kind === "sell-out") {
		if (load.totalSuccesses !== spec.initialStock) {
			invariant.problems.push(`${load.totalSuccesses} reservations succeeded, stock was ${spec.initialStock}`);
		}
		if (invariant.stock.available !== 0) invariant.problems.push(`${invariant.stock.available} units left unsold`);
		invariant.ok = invariant.problems.length === 0;
	}
	const [p50, p95, p99] = load.latencies.percentiles([50, 95, 99]) as [number, number, number];
	const errors = spec.kind === "sell-out" ? load.totalErrors : load.errors;
	return {
		approach: spec.approach,
		label: spec.label,
		transport: spec.transport,
		kind: spec.kind,
		inflight: spec.load.inflight,
		initialStock: spec.initialStock,
		rate: load.latencies.count / load.windowSeconds,
		measured: load.latencies.count,
		seconds: load.windowSeconds,
		p50,
		p95,
		p99,
		errors: Object.fromEntries(errors),
		successes: load.totalSuccesses,
		invariant,
		cpu,
		sql,
	};
}
