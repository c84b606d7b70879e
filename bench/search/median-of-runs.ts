/**
 * The medians of several `npm run bench:search` runs written with BENCH_JSON_OUT: every figure run by
 * run and its median, each target judged on the median and run by run. On a shared machine, the
 * figures to quote.
 *   node --import tsx bench/search/median-of-runs.ts [--append FILE] run1.json run2.json run3.json
 * With --append, the section is also appended to FILE (e.g. bench/SEARCH_RESULTS.md).
 */
import fs from "node:fs";
import { median } from "../support/median";
import { table } from "../support/report";
import { type Figure, figuresOf, type SearchBenchResults } from "./results";

const SECTIONS: Array<[Figure["section"], string]> = [
	["query", "Queries, one at a time"],
	["index", "Indexing through engine.apply"],
	["reindex", "Reindex of the catalog through the service"],
	["relevance", "Relevance on the fixture catalog"],
];

function row(key: string, runs: ReadonlyArray<Figure[]>): string[] {
	const each = runs.map((figures) => figures.find((f) => f.key === key));
	const first = each.find((f): f is Figure => f !== undefined) as Figure;
	const values = each.map((f) => f?.value).filter((v): v is number => v !== undefined && !Number.isNaN(v));
	const mid = values.length > 0 ? median(values) : undefined;
	const byRun = each.map((f) => (f?.value === undefined ? "-" : f.show(f.value))).join(" / ");
	if (!first.met) return [first.label, byRun, mid === undefined ? "-" : `**${first.show(mid)}**`, "", "", ""];
	const met = first.met;
	const verdictOnMedian = mid === undefined ? "not measured" : met(mid) ? "met" : "**MISSED**";
	return [
		first.label,
		byRun,
		mid === undefined ? "-" : `**${first.show(mid)}**`,
		first.target ?? "",
		verdictOnMedian,
		`${values.filter((v) => met(v)).length} of ${values.length}`,
	];
}

export function mediansSection(results: readonly SearchBenchResults[]): string {
	const runs = results.map(figuresOf);
	const keys = [...new Set(runs.flatMap((figures) => figures.map((f) => f.key)))];
	const all = runs.flat();
	const sectionOf = (key: string) => all.find((f) => f.key === key)?.section;
	const machine = results[0]?.facts.machine;
	const broken = results.map((r) => r.invariants.filter((i) => !i.ok).length);
	const header = ["figure", "run by run", "median", "target", "on the median", "met in"];
	const lines = [
		`## Median of ${results.length} runs (${results.map((r) => r.facts.runId).join(", ")})`,
		"",
		machine
			? `- Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.kernel}; MariaDB ${results[0]?.facts.mariadbVersion}; OpenSearch ${results[0]?.facts.openSearchVersion ?? "not used"}.`
			: "",
		`- Runs started ${results.map((r) => r.facts.startedAt).join(", ")}; load averages before each: ${results.map((r) => r.facts.loadAverageBefore).join("; ")}; ${results.map((r) => `${r.facts.durationSeconds} s`).join(", ")} each.`,
		`- Invariants: ${broken.every((n) => n === 0) ? `held in all ${results.length} runs` : `broken in runs: ${broken.map((n) => String(n)).join(" / ")}`}.`,
		...[...new Set(results.flatMap((r) => r.skipped))].map((s) => `- Skipped: ${s}`),
		"",
		"### Targets",
		"",
		table(
			header,
			keys.filter((key) => all.find((f) => f.key === key)?.met).map((key) => row(key, runs)),
		),
		"",
	];
	for (const [section, title] of SECTIONS) {
		const inSection = keys.filter((key) => sectionOf(key) === section);
		if (inSection.length === 0) continue;
		lines.push(
			`### ${title}`,
			"",
			table(
				header,
				inSection.map((key) => row(key, runs)),
			),
			"",
		);
	}
	return lines.join("\n");
}

function main(args: string[]): void {
	const appendAt = args.indexOf("--append");
	const target = appendAt >= 0 ? args[appendAt + 1] : undefined;
	const files = appendAt < 0 ? args : args.filter((_, i) => i !== appendAt && i !== appendAt + 1);
	if (files.length === 0 || (appendAt >= 0 && !target)) {
		process.stderr.write("usage: node --import tsx bench/search/median-of-runs.ts [--append FILE] run1.json ...\n");
		process.exit(2);
	}
	const results = files.map((file) => JSON.parse(fs.readFileSync(file, "utf8")) as SearchBenchResults);
	const section = mediansSection(results);
	process.stdout.write(`${section}\n`);
	if (target) fs.appendFileSync(target, `\n${section}`);
}

if (require.main === module) main(process.argv.slice(2));
