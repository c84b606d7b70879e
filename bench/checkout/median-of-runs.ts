/**
 * The medians of several `npm run bench:checkout` runs written with BENCH_JSON_OUT, each target
 * judged on the median and run by run: on a shared machine, the figure to quote.
 *   node --import tsx bench/checkout/median-of-runs.ts [--append FILE] run1.json run2.json run3.json
 * With --append, the section is also appended to FILE (e.g. bench/CHECKOUT_RESULTS.md).
 */
import fs from "node:fs";
import { median } from "../support/median";
import { ms, rate, table } from "../support/report";
import { type CheckoutResults, TARGETS } from "./report";

interface Figure {
	name: string;
	of: (r: CheckoutResults) => number | undefined;
	show: (v: number) => string;
	/** undefined: reported, no target. */
	met?: (v: number) => boolean;
	target: string;
}

const FIGURES: Figure[] = [
	{
		name: "(a) orders CONFIRMED/s at saturation",
		of: (r) => r.saturation?.confirmedPerSecond,
		show: (v) => `${rate(v)}/s`,
		met: (v) => v >= TARGETS.confirmedPerSecond,
		target: `>= ${TARGETS.confirmedPerSecond}/s`,
	},
	{
		name: "(a) CONFIRMED/s inside the window",
		of: (r) => r.saturation?.confirmedInWindowPerSecond,
		show: (v) => `${rate(v)}/s`,
		target: "(reported)",
	},
	{
		name: "(a) CPU ms per CONFIRMED order (whole box)",
		of: (r) =>
			r.saturation && r.saturation.confirmedWindowToDrained > 0
				? (Object.values(r.saturation.cpuWindowToDrained.seconds).reduce((a, b) => a + b, 0) * 1000) /
					r.saturation.confirmedWindowToDrained
				: undefined,
		show: (v) => `${v.toFixed(1)} ms`,
		target: "(reported)",
	},
	{
		name: "(a) POST /api/orders 201s/s at saturation",
		of: (r) => r.saturation?.rate,
		show: (v) => `${rate(v)}/s`,
		target: "(reported)",
	},
	{
		name: "(a) moleculer-web no-op ceiling, same N",
		of: (r) => r.ceiling?.rate,
		show: (v) => `${rate(v)}/s`,
		target: "(reported)",
	},
	{
		name: "(a) share of the ceiling",
		of: (r) => (r.saturation && r.ceiling ? r.saturation.confirmedPerSecond / r.ceiling.rate : undefined),
		show: (v) => `${(v * 100).toFixed(1)}%`,
		target: "(reported)",
	},
	{
		name: "(b) p95 POST /api/orders",
		of: (r) => r.latency?.post.p95,
		show: (v) => `${ms(v)} ms`,
		met: (v) => v <= TARGETS.postP95Ms,
		target: `<= ${TARGETS.postP95Ms} ms`,
	},
	{
		name: "(b) p95 created -> CONFIRMED",
		of: (r) => r.latency?.confirm.p95,
		show: (v) => `${ms(v)} ms`,
		met: (v) => v <= TARGETS.confirmP95Ms,
		target: `<= ${TARGETS.confirmP95Ms} ms`,
	},
	{
		name: "(c) flash sale drained in",
		of: (r) => r.flash?.drainSeconds,
		show: (v) => `${v.toFixed(1)} s`,
		met: (v) => v <= TARGETS.flashDrainSeconds,
		target: `<= ${TARGETS.flashDrainSeconds} s`,
	},
	{
		name: "(c) flash sale POSTs answered in",
		of: (r) => r.flash?.offerSeconds,
		show: (v) => `${v.toFixed(1)} s`,
		target: "(reported)",
	},
];

function main(): void {
	const args = process.argv.slice(2);
	let appendTo = "";
	const appendAt = args.indexOf("--append");
	if (appendAt >= 0) {
		appendTo = args[appendAt + 1] ?? "";
		args.splice(appendAt, 2);
	}
	if (args.length === 0) {
		process.stderr.write("usage: node --import tsx bench/checkout/median-of-runs.ts [--append FILE] run.json...\n");
		process.exit(2);
	}
	const runs = args.map((file) => JSON.parse(fs.readFileSync(file, "utf8")) as CheckoutResults);
	const rows = FIGURES.flatMap((f) => {
		const values = runs.map(f.of);
		const known = values.filter((v): v is number => v !== undefined);
		if (known.length === 0) return [];
		const mid = median(known);
		return [
			[
				f.name,
				values.map((v) => (v === undefined ? "-" : f.show(v))).join(" / "),
				f.show(mid),
				f.target,
				f.met ? (f.met(mid) ? "met" : "**MISSED**") : "",
				f.met ? `${known.filter(f.met).length} of ${known.length}` : "",
			],
		];
	});
	const broken = runs.filter((r) => r.checks.some((c) => !c.ok)).length;
	const machine = runs[0]?.facts.machine;
	const section = [
		`## Median of ${runs.length} runs (${runs.map((r) => r.facts.runId).join(", ")})`,
		"",
		`- Machine: ${machine?.cpus} CPUs (${machine?.cpuModel}), ${machine?.memoryGiB} GiB, Node ${machine?.node}; load averages before each run: ${runs.map((r) => r.facts.loadAverageBefore).join("; ")}.`,
		`- Invariants: ${broken === 0 ? `held in all ${runs.length} runs` : `BROKEN in ${broken} of ${runs.length} runs`}.`,
		"",
		table(["figure", "runs", "median", "target", "on the median", "met in"], rows),
		"",
	].join("\n");
	process.stdout.write(`${section}\n`);
	if (appendTo) fs.appendFileSync(appendTo, `\n${section}`);
}

main();
