import fs from "node:fs";
import type { CpuUsage } from "../support/cpu-meter";
import type { MachineInfo } from "../support/machine-info";
import { ms, rate, table } from "../support/report";
import { ensureFolderOf } from "../support/run-output";
import type { Check, FlashResult, LatencyResult, SaturationResult, ThroughputResult } from "./phases";
import type { CheckoutBenchSettings } from "./settings";

/** The checkout issue's targets. */
export const TARGETS = {
	confirmedPerSecond: 500,
	postP95Ms: 100,
	confirmP95Ms: 1000,
	flashDrainSeconds: 60,
};

export interface CheckoutFacts {
	runId: string;
	startedAt: string;
	durationSeconds: number;
	machine: MachineInfo;
	mariadbVersion: string;
	flushLogAtTrxCommit: number;
	loadAverageBefore: string;
	loadAverageAfter: string;
	redis: boolean;
	probeOrders: number;
}

export interface CheckoutResults {
	facts: CheckoutFacts;
	settings: Pick<
		CheckoutBenchSettings,
		| "seconds"
		| "warmupSeconds"
		| "inflight"
		| "rate"
		| "rateSeconds"
		| "flashOrders"
		| "flashStock"
		| "flashInflight"
		| "skus"
		| "users"
	> & { nodeEnv: Record<string, string>; perNodeEnv: Record<string, Record<string, string>> };
	ceiling?: ThroughputResult;
	saturation?: SaturationResult;
	latency?: LatencyResult;
	flash?: FlashResult;
	checks: Check[];
	targets: Target[];
}

export interface Target {
	name: string;
	measured: string;
	target: string;
	/** undefined: not measured in this run. */
	met: boolean | undefined;
	value: number | undefined;
}

export function evaluateTargets(r: Omit<CheckoutResults, "targets" | "facts" | "settings">): Target[] {
	const n = r.saturation?.inflight;
	return [
		{
			name: `(a) orders CONFIRMED/s at saturation (N=${n ?? "-"})`,
			measured: r.saturation ? `${rate(r.saturation.confirmedPerSecond)}/s` : "not measured",
			target: `>= ${TARGETS.confirmedPerSecond}/s`,
			met: r.saturation ? r.saturation.confirmedPerSecond >= TARGETS.confirmedPerSecond : undefined,
			value: r.saturation?.confirmedPerSecond,
		},
		{
			name: `(a) share of the moleculer-web no-op ceiling (N=${r.ceiling?.inflight ?? "-"})`,
			measured:
				r.saturation && r.ceiling
					? `${((r.saturation.confirmedPerSecond / r.ceiling.rate) * 100).toFixed(1)}% of ${rate(r.ceiling.rate)} req/s`
					: "not measured",
			target: "(reported)",
			met: undefined,
			value: r.saturation && r.ceiling ? r.saturation.confirmedPerSecond / r.ceiling.rate : undefined,
		},
		{
			name: `(b) p95 POST /api/orders at ${r.latency?.rate ?? "-"} orders/s offered`,
			measured: r.latency ? `${ms(r.latency.post.p95)} ms` : "not measured",
			target: `<= ${TARGETS.postP95Ms} ms`,
			met: r.latency ? r.latency.post.p95 <= TARGETS.postP95Ms : undefined,
			value: r.latency?.post.p95,
		},
		{
			name: `(b) p95 created -> CONFIRMED at ${r.latency?.rate ?? "-"} orders/s offered`,
			measured: r.latency ? `${ms(r.latency.confirm.p95)} ms` : "not measured",
			target: `<= ${TARGETS.confirmP95Ms} ms`,
			met: r.latency ? r.latency.confirm.p95 <= TARGETS.confirmP95Ms : undefined,
			value: r.latency?.confirm.p95,
		},
		{
			name: `(c) flash sale drained (${r.flash?.orders ?? "-"} orders, ${r.flash?.stock ?? "-"} units)`,
			measured: r.flash ? `${r.flash.drainSeconds.toFixed(1)} s` : "not measured",
			target: `<= ${TARGETS.flashDrainSeconds} s`,
			met: r.flash ? r.flash.drainSeconds <= TARGETS.flashDrainSeconds : undefined,
			value: r.flash?.drainSeconds,
		},
	];
}

const mark = (met: boolean | undefined) => (met === undefined ? "" : met ? "met" : "**MISSED**");
const counts = (c: Record<string, number>) =>
	Object.keys(c).length === 0
		? "0"
		: Object.entries(c)
				.map(([label, n]) => `${n} ${label}`)
				.join(", ");

function targetTable(results: CheckoutResults): string {
	const broken = results.checks.filter((c) => !c.ok);
	return table(
		["figure", "measured", "target", ""],
		[
			...results.targets.map((t) => [t.name, t.measured, t.target, mark(t.met)]),
			[
				"invariants (every order terminal once, 0 oversold, stock conserved, money only for sales)",
				broken.length === 0
					? `all ${results.checks.length} held`
					: `${broken.length} of ${results.checks.length} BROKEN`,
				"all hold",
				broken.length === 0 ? "PASS" : "**FAIL**",
			],
		],
	);
}

function saturationTable(s: SaturationResult, ceiling: ThroughputResult | undefined): string {
	const rows = [
		[
			"checkout (POST /api/orders -> CONFIRMED)",
			String(s.inflight),
			rate(s.rate),
			ms(s.latency.p50),
			ms(s.latency.p95),
			ms(s.latency.p99),
			counts(s.errors),
		],
	];
	if (ceiling)
		rows.push([
			"moleculer-web no-op (gateway ceiling)",
			String(ceiling.inflight),
			rate(ceiling.rate),
			ms(ceiling.latency.p50),
			ms(ceiling.latency.p95),
			ms(ceiling.latency.p99),
			counts(ceiling.errors),
		]);
	return [
		table(["server", "N", "201s (200s)/s", "p50 ms", "p95 ms", "p99 ms", "errors"], rows),
		"",
		table(
			[
				"CONFIRMED/s (window's orders, window start -> last CONFIRMED)",
				"CONFIRMED/s inside the window",
				"orders created in the window / CONFIRMED",
				"created -> CONFIRMED p50 / p95 / p99 ms",
				"last order ended after the window",
				"outcomes",
			],
			[
				[
					rate(s.confirmedPerSecond),
					rate(s.confirmedInWindowPerSecond),
					`${s.windowOrders} / ${s.windowOrdersConfirmed}`,
					`${ms(s.confirmLatency.p50)} / ${ms(s.confirmLatency.p95)} / ${ms(s.confirmLatency.p99)}`,
					`${s.drainAfterWindowSeconds.toFixed(1)} s`,
					counts(s.outcomes),
				],
			],
		),
	].join("\n");
}

const CPU_COLUMNS = [
	"load generator",
	"gateway node",
	"inventory node",
	"orders+payments node",
	"NATS",
	"MariaDB",
	"Redis",
	"Kafka",
	"interrupts",
	"steal",
	"other",
];

/**
 * Cores each process kept busy in the window (POSTs and saga) and in the drain after it (the saga
 * alone), and its CPU time per order CONFIRMED from the window's start until every order had ended.
 */
function cpuTable(s: SaturationResult): string {
	const busy = (cpu: CpuUsage, seconds: number) => [
		...CPU_COLUMNS.map((n) => (cpu.seconds[n] === undefined ? "-" : ((cpu.seconds[n] as number) / seconds).toFixed(2))),
		`${cpu.busyCores.toFixed(2)} of ${cpu.cores}`,
	];
	const all = s.cpuWindowToDrained;
	const n = s.confirmedWindowToDrained;
	const total = Object.values(all.seconds).reduce((a, b) => a + b, 0);
	return table(
		["", ...CPU_COLUMNS, "total"],
		[
			[`cores busy in the window (${s.seconds.toFixed(0)} s)`, ...busy(s.cpuWindow, s.seconds)],
			[
				`cores busy in the drain (${s.drainSeconds.toFixed(1)} s)`,
				...busy(s.cpuDrain, Math.max(s.drainSeconds, 0.001)),
			],
			[
				`CPU ms per CONFIRMED order (${n}, window start -> drained)`,
				...CPU_COLUMNS.map((c) =>
					all.seconds[c] === undefined || n === 0 ? "-" : (((all.seconds[c] as number) * 1000) / n).toFixed(2),
				),
				n > 0 ? ((total * 1000) / n).toFixed(2) : "-",
			],
		],
	);
}

/** MariaDB's work per CONFIRMED order, from its global counters (other clients of the server add to them). */
function sqlLine(s: SaturationResult): string {
	const n = s.confirmedWindowToDrained;
	if (n === 0) return "";
	const per = (v: number) => (v / n).toFixed(1);
	return `MariaDB per CONFIRMED order (window start -> drained, server-wide counters): ${per(s.sqlWindowToDrained.statements)} statements, ${per(s.sqlWindowToDrained.selects)} SELECTs, ${per(s.sqlWindowToDrained.commits)} COMMITs.`;
}

function latencyTable(l: LatencyResult): string {
	return table(
		[
			"offered",
			"sent / 201",
			"max in flight",
			"POST p50 / p95 / p99 ms",
			"created -> CONFIRMED p50 / p95 / p99 ms",
			"errors",
			"outcomes",
		],
		[
			[
				`${l.rate}/s for ${l.seconds} s`,
				`${l.sent} / ${l.accepted}`,
				String(l.maxInflight),
				`${ms(l.post.p50)} / ${ms(l.post.p95)} / ${ms(l.post.p99)}`,
				`${ms(l.confirm.p50)} / ${ms(l.confirm.p95)} / ${ms(l.confirm.p99)} (${l.confirmSamples})`,
				counts(l.errors),
				counts(l.outcomes),
			],
		],
	);
}

function flashTable(f: FlashResult): string {
	return table(
		[
			"orders / units",
			"N",
			"201s",
			"offered in",
			"201s/s",
			"POST p50 / p95 / p99 ms",
			"drained in",
			"stock after (available / reserved / confirmed)",
			"orders (database)",
			"errors",
		],
		[
			[
				`${f.orders} / ${f.stock}`,
				String(f.inflight),
				String(f.accepted),
				`${f.offerSeconds.toFixed(1)} s`,
				rate(f.acceptedPerSecond),
				`${ms(f.post.p50)} / ${ms(f.post.p95)} / ${ms(f.post.p99)}`,
				`${f.drainSeconds.toFixed(1)} s`,
				`${f.stockAfter.available} / ${f.stockAfter.reserved} / ${f.stockAfter.confirmed}`,
				counts(f.outcomes),
				counts(f.errors),
			],
		],
	);
}

function checksTable(checks: readonly Check[]): string {
	return table(
		["phase", "invariant", "", "seen"],
		checks.map((c) => [c.phase, c.name, c.ok ? "held" : "**BROKEN**", c.detail]),
	);
}

/** The run's section of its results file (also printed); curated runs are copied into CHECKOUT_RESULTS.md. */
export function runSection(results: CheckoutResults): string {
	const { facts, settings } = results;
	const m = facts.machine;
	const extra = [
		...Object.entries(settings.nodeEnv).map(([k, v]) => `${k}=${v}`),
		...Object.entries(settings.perNodeEnv).flatMap(([node, env]) =>
			Object.entries(env).map(([k, v]) => `${node}:${k}=${v}`),
		),
	];
	const lines = [
		`## Run ${facts.startedAt} (${facts.runId})`,
		"",
		`- Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.kernel}; load average ${facts.loadAverageBefore} before, ${facts.loadAverageAfter} after; ${Math.round(facts.durationSeconds)} s in all.`,
		`- MariaDB ${facts.mariadbVersion}, innodb_flush_log_at_trx_commit=${facts.flushLogAtTrxCommit}${facts.flushLogAtTrxCommit === 1 ? " (durable)" : " (NOT durable)"}; NATS transporter; Kafka events${facts.redis ? "; Redis key-value store" : "; no Redis"}.`,
		"- Nodes: gateway (`SERVICES=gateway,auth,products`), inventory, orders+payments (the sandbox provider's webhooks over HTTP to the gateway); the load generator, MariaDB, NATS, Redis and Kafka on the same machine.",
		`- Settings: (a) N=${settings.inflight}, ${settings.warmupSeconds} s warm-up + ${settings.seconds} s window, ${settings.skus} SKUs, ${settings.users} shoppers; (b) ${settings.rate} orders/s for ${settings.rateSeconds} s; (c) ${settings.flashOrders} orders of 1 unit for ${settings.flashStock} units, N=${settings.flashInflight}, one shopper per order${extra.length ? `; node settings ${extra.join(" ")}` : ""}. ${facts.probeOrders} probe order(s) before measuring.`,
		"",
		"### Targets",
		"",
		targetTable(results),
		"",
	];
	if (results.saturation) {
		lines.push(
			"### (a) Saturation: a closed loop of N orders in flight, and the moleculer-web no-op ceiling at the same N",
			"",
			saturationTable(results.saturation, results.ceiling),
			"",
			"Where the CPU went (cores busy; the drain is the saga finishing the orders after the POSTs stopped):",
			"",
			cpuTable(results.saturation),
			"",
			sqlLine(results.saturation),
			"",
		);
	} else if (results.ceiling) {
		lines.push(
			"### moleculer-web no-op ceiling",
			"",
			`${rate(results.ceiling.rate)} requests/s at N=${results.ceiling.inflight}`,
			"",
		);
	}
	if (results.latency)
		lines.push("### (b) Latency at a fixed offered rate (open loop)", "", latencyTable(results.latency), "");
	if (results.flash) lines.push("### (c) Flash sale", "", flashTable(results.flash), "");
	lines.push("### Invariants", "", checksTable(results.checks), "");
	return lines.join("\n");
}

const HEADER = [
	"# Checkout benchmark — results",
	"",
	"Written by `npm run bench:checkout` (see bench/README.md), a section per run, newest last; the curated record",
	"of runs is bench/CHECKOUT_RESULTS.md. Everything (three shop nodes, MariaDB, NATS, Redis, Kafka and the load",
	"generator) shares one machine: compare runs by the load average and the `other` CPU column.",
	"",
].join("\n");

/** Appends `section` to the results file, creating it with its header the first time. */
export function appendResults(file: string, section: string): void {
	ensureFolderOf(file);
	if (!fs.existsSync(file)) fs.writeFileSync(file, HEADER);
	fs.appendFileSync(file, `\n${section}`);
}
