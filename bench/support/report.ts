import { HTTP_CEILINGS } from "./approaches";
import type { MachineInfo } from "./machine-info";
import type { ScenarioResult } from "./scenario";
import { HTTP_TARGET, NATS_TARGET, speedup, TARGET_INFLIGHT, type TargetCheck, throughputOf } from "./targets";

export interface RunFacts {
	startedAt: Date;
	durationSeconds: number;
	machine: MachineInfo;
	mariadbVersion: string;
	/** innodb_flush_log_at_trx_commit in force during the run (1 = durable). */
	flushLogAtTrxCommit: number;
	loadAverageBefore: string;
	loadAverageAfter: string;
	seconds: number;
	warmupSeconds: number;
}

/** Milliseconds as the tables print them. */
export const ms = (v: number) => (Number.isNaN(v) ? "-" : v < 10 ? v.toFixed(2) : v.toFixed(1));
/** A rate as the tables print it: whole, with thousands separators. */
export const rate = (v: number) => Math.round(v).toLocaleString("en-US");

function errorsText(errors: Record<string, number>): string {
	const entries = Object.entries(errors);
	return entries.length === 0 ? "0" : entries.map(([label, count]) => `${count} ${label}`).join(", ");
}

const verdict = (r: ScenarioResult) => (!r.invariant.checked ? "n/a" : r.invariant.ok ? "PASS" : "FAIL");

/** Sell-outs are mostly rejections: per-success figures would mislead, so they stay out of the cost tables. */
const throughputOnly = (results: readonly ScenarioResult[]) => results.filter((r) => r.kind === "throughput");

/** A markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
	const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
	return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function throughputTable(results: readonly ScenarioResult[]): string {
	const rows = throughputOnly(results).map((r) => [
		r.label,
		r.transport,
		String(r.inflight),
		rate(r.rate),
		ms(r.p50),
		ms(r.p95),
		ms(r.p99),
		errorsText(r.errors),
		verdict(r),
	]);
	return table(["approach", "via", "N", "reservations/s", "p50 ms", "p95 ms", "p99 ms", "errors", "invariant"], rows);
}

function ratioTable(results: readonly ScenarioResult[]): string {
	const inflights = [
		...new Set(results.filter((r) => r.transport === "NATS" && r.kind === "throughput").map((r) => r.inflight)),
	];
	const x = (v: number | undefined) => (v === undefined ? "n/a" : `${v.toFixed(1)}x`);
	const share = (v: number | undefined) => (v === undefined ? "n/a" : `${Math.round(v * 100)}%`);
	const rows = inflights.map((n) => [
		String(n),
		x(speedup(results, "conditional", n)),
		x(speedup(results, "lock", n)),
		share(speedup(results, "noop", n)),
	]);
	return table(["N", "actor / conditional UPDATE", "actor / Redis lock", "actor / no-op ceiling"], rows);
}

/** The HTTP line against each HTTP ceiling measured in the same run (same load, same N). */
function httpCeilingTable(results: readonly ScenarioResult[]): string {
	const actor = throughputOf(results, "actor", "HTTP");
	const ceilings = throughputOnly(results).filter((r) => r.approach === "noop" && r.transport === "HTTP");
	if (!actor || ceilings.length === 0) return "";
	const rows = ceilings.map((c) => [
		c.label,
		String(c.inflight),
		rate(c.rate),
		c.rate > 0 ? `${Math.round((actor.rate / c.rate) * 100)}%` : "n/a",
	]);
	return [
		"### The HTTP line's share of the HTTP ceilings (same load, same run)",
		"",
		table(["ceiling", "N", "ceiling's requests/s", "actor via the gateway / ceiling"], rows),
		"",
	].join("\n");
}

function countOf(errors: Record<string, number>): number {
	return Object.values(errors).reduce((sum, n) => sum + n, 0);
}

function sellOutTable(results: readonly ScenarioResult[]): string {
	const rows = results
		.filter((r) => r.kind === "sell-out")
		.map((r) => [
			r.label,
			String(r.inflight),
			`${r.successes} of ${r.initialStock}`,
			String(r.invariant.stock.available),
			errorsText(r.errors),
			`${r.seconds.toFixed(2)} s (${Math.round((r.successes + countOf(r.errors)) / r.seconds).toLocaleString("en-US")} replies/s)`,
			verdict(r),
		]);
	return table(["approach", "N", "reserved", "left", "rejected", "all answered in", "invariant"], rows);
}

/** The processes in the CPU table, in this column order ("other" = anything else on the machine). */
const CPU_COLUMNS = [
	"load generator",
	"service node",
	"gateway node",
	"NATS",
	"MariaDB",
	"Redis",
	"interrupts",
	"steal",
	"other",
];

function cpuTable(results: readonly ScenarioResult[]): string {
	const rows = throughputOnly(results).map((r) => {
		const perReservation = (name: string) => {
			const seconds = r.cpu.seconds[name];
			return seconds === undefined || r.measured === 0 ? "-" : String(Math.round((seconds * 1e6) / r.measured));
		};
		const total = Object.values(r.cpu.seconds).reduce((a, b) => a + b, 0);
		return [
			r.label,
			r.transport,
			String(r.inflight),
			...CPU_COLUMNS.map(perReservation),
			r.measured === 0 ? "-" : String(Math.round((total * 1e6) / r.measured)),
			`${r.cpu.busyCores.toFixed(2)} of ${r.cpu.cores}`,
		];
	});
	return table(["approach", "via", "N", ...CPU_COLUMNS, "total", "cores busy"], rows);
}

function sqlTable(results: readonly ScenarioResult[]): string {
	const rows = throughputOnly(results)
		.filter((r) => r.invariant.checked && r.measured > 0)
		.map((r) => {
			const per = (count: number) => (count / r.measured).toFixed(count / r.measured < 0.1 ? 3 : 2);
			return [
				r.label,
				r.transport,
				String(r.inflight),
				per(r.sql.statements),
				per(r.sql.selects),
				per(r.sql.commits),
				r.sql.commits > 0 ? (r.measured / r.sql.commits).toFixed(1) : "-",
			];
		});
	return table(["approach", "via", "N", "statements", "SELECTs", "COMMITs", "reservations per COMMIT"], rows);
}

function targetList(targets: readonly TargetCheck[]): string {
	const mark = (met: boolean | undefined) => (met === undefined ? "not measured" : met ? "met" : "MISSED");
	return targets.map((t) => `- ${t.target}: ${t.measured} — **${mark(t.met)}**`).join("\n");
}

/**
 * What the two throughput targets ask of this machine: each as a share of the ceiling it stands on,
 * measured in the same run. A target above its own ceiling cannot be met here, whatever sits behind it.
 */
function ceilingContext(results: readonly ScenarioResult[]): string {
	const natsNoop = throughputOf(results, "noop", "NATS", TARGET_INFLIGHT);
	// Both HTTP ceilings are no-op scenarios: the label tells moleculer-web's apart.
	const gateway = throughputOnly(results).find((r) => r.label === HTTP_CEILINGS.moleculerWeb.label);
	const lines: string[] = [];
	if (natsNoop && natsNoop.rate > 0) {
		lines.push(
			`- context: a no-op call over NATS answered ${rate(natsNoop.rate)}/s at N=${TARGET_INFLIGHT} in this run; the NATS target is ${Math.round((NATS_TARGET / natsNoop.rate) * 100)}% of it`,
		);
	}
	if (gateway && gateway.rate > 0) {
		lines.push(
			`- context: moleculer-web with a no-op action answered ${rate(gateway.rate)}/s at N=${gateway.inflight} in this run; the HTTP target is ${Math.round((HTTP_TARGET / gateway.rate) * 100)}% of it`,
		);
	}
	return lines.join("\n");
}

function problemList(results: readonly ScenarioResult[]): string {
	const broken = results.filter((r) => !r.invariant.ok);
	if (broken.length === 0) return "";
	const lines = broken.map(
		(r) => `- ${r.label} ${r.transport} ${r.kind} N=${r.inflight}: ${r.invariant.problems.join("; ")}`,
	);
	return `\n### Invariant failures\n\n${lines.join("\n")}\n`;
}

/** The figures of a run, as markdown: printed to the console and written to the run's report. */
export function resultsMarkdown(results: readonly ScenarioResult[], targets: readonly TargetCheck[]): string {
	return [
		"### Throughput (one hot SKU, closed loop of N in-flight requests)",
		"",
		throughputTable(results),
		"",
		"### Actor speed-up over the baselines, and share of the transport ceiling (NATS, same N)",
		"",
		ratioTable(results),
		"",
		httpCeilingTable(results),
		"### Sell-out (no oversell, no lost sale)",
		"",
		sellOutTable(results),
		"",
		"### Where the CPU went (µs of CPU per successful reservation, measured window)",
		"",
		"From /proc: user+system time of each process; `interrupts` = irq+softirq time (loopback TCP is processed there), `steal` = time the hypervisor took, `other` = every other process (kernel threads such as the journal, and other jobs on a shared machine).",
		"",
		cpuTable(results),
		"",
		"### Database work per successful reservation (measured window)",
		"",
		"Server-wide counters (SHOW GLOBAL STATUS): other clients of the same server add to them.",
		"",
		sqlTable(results),
		"",
		"### Targets",
		"",
		targetList(targets),
		ceilingContext(results),
		problemList(results),
	].join("\n");
}

/** Cores' worth of CPU that processes outside the bench used during the measured windows (mean, max). */
function otherWork(results: readonly ScenarioResult[]): { mean: number; max: number } {
	const cores = throughputOnly(results)
		.filter((r) => r.measured > 0 && r.rate > 0)
		.map((r) => (r.cpu.seconds.other ?? 0) / (r.measured / r.rate));
	if (cores.length === 0) return { mean: 0, max: 0 };
	return { mean: cores.reduce((a, b) => a + b, 0) / cores.length, max: Math.max(...cores) };
}

/** The run's report (bench/runs/): its figures plus where and how they were measured. */
export function resultsDocument(
	results: readonly ScenarioResult[],
	targets: readonly TargetCheck[],
	facts: RunFacts,
): string {
	const { machine } = facts;
	const other = otherWork(results);
	const durability =
		facts.flushLogAtTrxCommit === 1
			? "1 (durable: every commit is fsynced)"
			: `${facts.flushLogAtTrxCommit} (NOT durable: commits are fsynced about once a second)`;
	return `# Inventory reservation benchmark — results

Written by one run of \`npm run bench:inventory\` (see bench/README.md); the curated record of runs is bench/RESULTS.md.

- Date: ${facts.startedAt.toISOString()} (run took ${Math.round(facts.durationSeconds)} s)
- Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, ${machine.kernel}
- Node ${machine.node}; MariaDB ${facts.mariadbVersion}, innodb_flush_log_at_trx_commit = ${durability}
- Load: ${facts.seconds} s measured after ${facts.warmupSeconds} s warm-up per scenario; load average (1/5/15 min) ${facts.loadAverageBefore} before, ${facts.loadAverageAfter} after
- Other work on the machine (processes outside the bench) used ${other.mean.toFixed(2)} cores on average during the measured windows, ${other.max.toFixed(2)} at most: the higher, the more the figures understate what this box can do.
- **Everything shares the same ${machine.cpus} cores**: NATS, MariaDB, Redis, the node under test (plus the gateway node in the HTTP line) and the load generator. Figures are for this one box, not for a cluster; the machine may also have been running other work.

${resultsMarkdown(results, targets)}`;
}
