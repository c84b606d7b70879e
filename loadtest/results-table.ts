/**
 * `node --import tsx loadtest/results-table.ts <report.json>...`: the medians of several runs' reports,
 * per suite, as the Markdown tables of RESULTS.md (throughput, latency, the same-run ceiling, CPU, and
 * every gate with its median measurement and how many runs passed it).
 */
import fs from "node:fs";
import { median } from "../bench/support/median";
import type { Ceiling } from "./ceiling";
import type { CpuAccount } from "./cpu-accounting";
import type { LoadReport } from "./report/load-report";

const fixed = (value: number, digits = 1) => value.toFixed(digits);

function suiteTable(reports: LoadReport[]): string[] {
	const first = reports[0] as LoadReport;
	const ceilings = reports.map((r) => r.settings.ceiling as Ceiling | undefined).filter((c): c is Ceiling => !!c);
	const cpus = reports.map((r) => r.settings.cpu as CpuAccount | undefined).filter((c): c is CpuAccount => !!c);
	const lines = [
		`### ${first.suite} (median of ${reports.length} run${reports.length > 1 ? "s" : ""})`,
		"",
		`Settings: ${first.settings.vus} users, ${first.settings.rate ? `${first.settings.rate} requests/s` : "closed loop"}, ${first.settings.durationS ? `${first.settings.durationS} s` : `${first.settings.requests} requests`}, gates \`${first.settings.gateProfile}\`.`,
		"",
		"| figure | median | runs |",
		"|---|---|---|",
	];
	const row = (name: string, values: number[], unit = "", digits = 1) =>
		lines.push(
			`| ${name} | ${fixed(median(values), digits)}${unit} | ${values.map((v) => fixed(v, digits)).join(", ")} |`,
		);
	row(
		"requests",
		reports.map((r) => r.totals.requests),
		"",
		0,
	);
	row(
		"throughput",
		reports.map((r) => r.totals.throughputPerS),
		" /s",
		0,
	);
	row(
		"p50",
		reports.map((r) => r.latency.p50Ms ?? 0),
		" ms",
	);
	row(
		"p95",
		reports.map((r) => r.latency.p95Ms ?? 0),
		" ms",
	);
	row(
		"p99",
		reports.map((r) => r.latency.p99Ms ?? 0),
		" ms",
	);
	row(
		"failed",
		reports.map((r) => r.totals.failedRate * 100),
		" %",
		2,
	);
	if (ceilings.length === reports.length) {
		row(
			"no-op ceiling (same run)",
			ceilings.map((c) => c.throughputPerS),
			" /s",
			0,
		);
		row(
			"no-op ceiling p95",
			ceilings.map((c) => c.p95Ms),
			" ms",
			2,
		);
		row(
			"throughput / ceiling",
			reports.map((r, i) => (r.totals.throughputPerS / (ceilings[i] as Ceiling).throughputPerS) * 100),
			" %",
		);
		row(
			"p95 / ceiling p95",
			reports.map((r, i) => (r.latency.p95Ms ?? 0) / (ceilings[i] as Ceiling).p95Ms),
			"x",
		);
	}
	if (cpus.length === reports.length) {
		row(
			"busy cores (of 2)",
			cpus.map((c) => c.busyCores),
			"",
			2,
		);
		const names = Object.keys(cpus[0]?.msPerRequest ?? {}).filter(
			(name) => median(cpus.map((c) => c.msPerRequest[name] ?? 0)) >= 0.005,
		);
		names.sort(
			(a, b) => median(cpus.map((c) => c.msPerRequest[b] ?? 0)) - median(cpus.map((c) => c.msPerRequest[a] ?? 0)),
		);
		for (const name of names)
			row(
				`CPU ms / request: ${name}`,
				cpus.map((c) => c.msPerRequest[name] ?? 0),
				"",
				3,
			);
	}
	lines.push("", "| gate | threshold | median measured | passed |", "|---|---|---|---|");
	for (const gate of first.gates) {
		const measured = reports.map((r) =>
			r.gates.find((g) => g.metric === gate.metric && g.threshold === gate.threshold),
		);
		const values = measured.map((g) => g?.measured).filter((v): v is number => typeof v === "number");
		const passed = measured.filter((g) => g?.passed).length;
		lines.push(
			`| \`${gate.metric}\` | \`${gate.threshold}\` | ${values.length ? fixed(median(values), 3) : "no data"} | ${passed} of ${reports.length} |`,
		);
	}
	const checks = new Map<string, number>();
	for (const report of reports)
		for (const check of report.checks) checks.set(check.name, (checks.get(check.name) ?? 0) + (check.passed ? 1 : 0));
	if (checks.size) {
		lines.push("", "| check | passed | last run |", "|---|---|---|");
		const last = reports[reports.length - 1] as LoadReport;
		for (const [name, passed] of checks) {
			lines.push(
				`| ${name} | ${passed} of ${reports.length} | ${last.checks.find((c) => c.name === name)?.detail ?? ""} |`,
			);
		}
	}
	return [...lines, ""];
}

const reports = process.argv.slice(2).map((file) => JSON.parse(fs.readFileSync(file, "utf8")) as LoadReport);
const bySuite = new Map<string, LoadReport[]>();
for (const report of reports) bySuite.set(report.suite, [...(bySuite.get(report.suite) ?? []), report]);
for (const suiteReports of bySuite.values()) process.stdout.write(`${suiteTable(suiteReports).join("\n")}\n`);
