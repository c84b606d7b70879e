/**
 * `npm run bench:median -- run1.json run2.json ...`: the medians of several `npm run bench:inventory`
 * runs (each written with BENCH_JSON_OUT), and the targets judged twice: on the medians (a target on a
 * ratio of one run's figures, on the median of the runs' own ratios), and run by run ("met in k of n").
 * On a shared machine one run says little; this is the figure to quote.
 *
 *   for i in 1 2 3; do BENCH_JSON_OUT=/tmp/run$i.json npm run bench:inventory; done
 *   npm run bench:median -- /tmp/run*.json
 */
import fs from "node:fs";
import { median } from "./support/median";
import { ms, rate, table } from "./support/report";
import type { ScenarioResult } from "./support/scenario";
import { evaluateTargets, type TargetCheck } from "./support/targets";

interface RunFile {
	facts: { startedAt: string };
	results: ScenarioResult[];
}

const keyOf = (r: ScenarioResult) => `${r.label}|${r.transport}|${r.inflight}`;

/** One scenario's median run: each figure is the median of that figure over the runs. */
function medianScenario(runs: readonly ScenarioResult[]): ScenarioResult {
	const first = runs[0] as ScenarioResult;
	return {
		...first,
		rate: median(runs.map((r) => r.rate)),
		p50: median(runs.map((r) => r.p50)),
		p95: median(runs.map((r) => r.p95)),
		p99: median(runs.map((r) => r.p99)),
	};
}

function throughputTable(runs: readonly RunFile[]): { table: string; medians: ScenarioResult[] } {
	const keys = [...new Set(runs.flatMap((run) => run.results.filter((r) => r.kind === "throughput").map(keyOf)))];
	const medians: ScenarioResult[] = [];
	const rows = keys.map((key) => {
		const each = runs.map((run) => run.results.find((r) => r.kind === "throughput" && keyOf(r) === key));
		const present = each.filter((r): r is ScenarioResult => r !== undefined);
		const mid = medianScenario(present);
		medians.push(mid);
		const broken = present.filter((r) => !r.invariant.ok).length;
		return [
			mid.label,
			mid.transport,
			String(mid.inflight),
			each.map((r) => (r ? rate(r.rate) : "-")).join(" / "),
			`**${rate(mid.rate)}**`,
			ms(mid.p95),
			!mid.invariant.checked ? "n/a" : broken === 0 ? "PASS in all" : `FAIL in ${broken}`,
		];
	});
	const header = ["approach", "via", "N", "reservations/s, run by run", "median", "median p95 ms", "invariant"];
	return { table: table(header, rows), medians };
}

/**
 * A same-run ratio target (TargetCheck.sameRunRatio) judged on the median of the runs' own ratios: a
 * ratio of medians divides figures of different runs, i.e. of different states of a shared machine.
 */
function onRunsOwnRatios(onMedians: TargetCheck, runChecks: ReadonlyArray<TargetCheck | undefined>): TargetCheck {
	const ratios = runChecks.flatMap((check) => (check?.sameRunRatio ? [check.sameRunRatio] : []));
	const first = ratios[0];
	if (!first) return onMedians;
	const value = median(ratios.map((r) => r.value));
	return { ...onMedians, met: value >= first.atLeast, measured: `${first.show(value)} (median of the runs' own)` };
}

function targetTable(runs: readonly RunFile[], medians: readonly ScenarioResult[]): string {
	// Sell-outs are judged in every run: one oversell anywhere fails the target.
	const sellOuts = runs.flatMap((run) => run.results.filter((r) => r.kind === "sell-out"));
	const byRun: TargetCheck[][] = runs.map((run) => evaluateTargets(run.results));
	const onMedians = evaluateTargets([...medians, ...sellOuts]).map((target, i) =>
		onRunsOwnRatios(
			target,
			byRun.map((checks) => checks[i]),
		),
	);
	const mark = (met: boolean | undefined) => (met === undefined ? "not measured" : met ? "met" : "**MISSED**");
	const rows = onMedians.map((target, i) => {
		const verdicts = byRun.map((checks) => checks[i]?.met);
		const measured = verdicts.filter((v) => v !== undefined).length;
		const met = verdicts.filter((v) => v === true).length;
		return [target.target, target.measured, mark(target.met), `${met} of ${measured}`];
	});
	return table(["target", "on the medians", "verdict", "met in runs"], rows);
}

function main(files: readonly string[]): void {
	if (files.length === 0) {
		process.stderr.write("usage: npm run bench:median -- run1.json run2.json ...\n");
		process.exit(2);
	}
	const runs = files.map((file) => JSON.parse(fs.readFileSync(file, "utf8")) as RunFile);
	const { table: scenarios, medians } = throughputTable(runs);
	const dates = runs.map((run) => run.facts.startedAt).join(", ");
	process.stdout.write(
		[
			`### Medians of ${runs.length} runs (${dates})`,
			"",
			scenarios,
			"",
			"### Targets, on the medians and run by run",
			"",
			targetTable(runs, medians),
			"",
		].join("\n"),
	);
}

main(process.argv.slice(2));
