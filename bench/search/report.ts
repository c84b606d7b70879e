/** The run's tables, as markdown on stdout. */
import { table } from "../support/report";
import type { Latency } from "./latency";
import {
	figuresOf,
	mbText,
	msText,
	rateText,
	ratioText,
	type SearchBenchResults,
	shareText,
	TARGETS,
	verdict,
} from "./results";

const trio = (l: Latency) => `${msText(l.p50)} / ${msText(l.p95)} / ${msText(l.p99)}`;
const count = (n: number) => n.toLocaleString("en-US");
const overSql = (engine: number, sql: number) =>
	`${ratioText(engine / sql)} (${engine <= sql ? `${ratioText(sql / engine)} faster` : `${ratioText(engine / sql)} slower`})`;

function machineLine(r: SearchBenchResults): string {
	const m = r.facts.machine;
	return (
		`Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.kernel}; ` +
		`load average ${r.facts.loadAverageBefore} before, ${r.facts.loadAverageAfter} after; ${r.facts.durationSeconds} s in all. ` +
		`MariaDB ${r.facts.mariadbVersion}; OpenSearch ${r.facts.openSearchVersion ?? "not used"}.`
	);
}

function indexTable(r: SearchBenchResults): string {
	const rows = r.sizes.flatMap((s) =>
		s.engines.map((e) => [
			e.engine,
			count(s.size),
			`${(e.applyMs / 1000).toFixed(2)} s`,
			`${(e.searchableMs / 1000).toFixed(2)} s`,
			rateText(e.docsPerSecond),
		]),
	);
	const sql = r.sizes.flatMap((s) =>
		s.sql
			? [["SQL table (multi-row INSERT + ANALYZE)", count(s.size), `${(s.sql.loadMs / 1000).toFixed(2)} s`, "", ""]]
			: [],
	);
	return table(
		["engine", "products", "engine.apply, all batches", "searchable after", "docs/s (searchable)"],
		[...rows, ...sql],
	);
}

function queryTable(r: SearchBenchResults): string {
	const rows = r.sizes.flatMap((s) => {
		const sqlP95 = s.sql?.search.p95;
		const engines = s.engines.map((e) => [
			e.engine,
			count(s.size),
			trio(e.search),
			`${e.emptySearches} of ${e.search.count}`,
			trio(e.autocomplete),
			`${trio(e.floor)} (${e.floorLabel})`,
			ratioText(e.search.p95 / e.floor.p95),
			sqlP95 === undefined ? "-" : overSql(e.search.p95, sqlP95),
		]);
		const sql = s.sql
			? [
					[
						"SQL LIKE (ProductsRepository.list)",
						count(s.size),
						trio(s.sql.search),
						`${s.sql.emptySearches} of ${s.sql.searches}`,
						"",
						"",
						"",
						"1x (baseline)",
					],
				]
			: [];
		return [...engines, ...sql];
	});
	return table(
		[
			"engine",
			"products",
			"search p50 / p95 / p99",
			"found nothing",
			"autocomplete p50 / p95 / p99",
			"floor p50 / p95 / p99",
			"search p95 ÷ floor p95",
			"search p95 ÷ SQL p95",
		],
		rows,
	);
}

function reindexTable(r: SearchBenchResults): string {
	const rows = r.reindex.map((x) => [
		x.engine,
		count(x.products),
		String(x.pageSize),
		`${(x.totalMs / 1000).toFixed(1)} s`,
		rateText(x.docsPerSecond),
		`${mbText(x.baseline.heapUsedMb)} / ${mbText(x.peak.heapUsedMb)} / +${mbText(x.peak.heapUsedMb - x.baseline.heapUsedMb)}`,
		`${mbText(x.baseline.rssMb)} / ${mbText(x.peak.rssMb)} / +${mbText(x.peak.rssMb - x.baseline.rssMb)}`,
		`${mbText(x.afterGc.heapUsedMb)}`,
		x.live
			? `${mbText(x.live.baseline.heapUsedMb)} / ${mbText(x.live.peak.heapUsedMb)} / +${mbText(x.live.peak.heapUsedMb - x.live.baseline.heapUsedMb)} (${(x.live.totalMs / 1000).toFixed(1)} s)`
			: "not run",
		mbText(x.holdingCatalogMb),
		`${x.job.status}, ${count(x.job.processed)} processed, ${count(x.documentsAfter)} in the index`,
	]);
	return table(
		[
			"engine",
			"products",
			"page",
			"total",
			"docs/s",
			"heap baseline / peak / growth",
			"RSS baseline / peak / growth",
			"heap after (GC)",
			"live heap baseline / peak / growth (2nd pass, GC per sample)",
			"heap of the catalog held at once",
			"job",
		],
		rows,
	);
}

function relevanceTable(r: SearchBenchResults): string {
	const rows = r.relevance.map((x) => [
		x.engine,
		String(x.queries),
		shareText(x.passRate),
		shareText(x.targetPassRate),
		x.ndcgAt10.toFixed(3),
		x.mrr.toFixed(3),
		x.failed.join(", ") || "none",
	]);
	return table(["engine", "queries", "pass rate", "target", "nDCG@10", "MRR", "failed"], rows);
}

export function runReport(r: SearchBenchResults): string {
	const targets = figuresOf(r).filter((f) => f.met);
	const broken = r.invariants.filter((i) => !i.ok);
	return [
		`## Search bench run ${r.facts.startedAt} (${r.facts.runId})`,
		"",
		`- ${machineLine(r)}`,
		`- ${r.facts.searches} searches (after ${r.facts.warmup} warm-up) and ${r.facts.searches} autocompletes per engine and size, one at a time; the SQL baseline runs the first ${r.facts.sqlSearches} of the same searches.`,
		...r.skipped.map((s) => `- Skipped: ${s}`),
		"",
		"### Targets",
		"",
		table(
			["figure", "measured", "target", ""],
			targets.map((f) => [f.label, f.value === undefined ? "-" : f.show(f.value), f.target ?? "", verdict(f)]),
		),
		"",
		"### Indexing (a generated catalog through engine.apply)",
		"",
		indexTable(r),
		"",
		"### Queries, one at a time",
		"",
		r.sizes[0]
			? `Query mix: ${Object.entries(r.sizes[0].queryMix)
					.map(([k, n]) => `${n} ${k}`)
					.join(", ")}.`
			: "",
		"",
		queryTable(r),
		"",
		"### Reindex through the service (search.reindex -> reindexStatus COMPLETED)",
		"",
		reindexTable(r),
		"",
		"The timed pass samples heapUsed and RSS every 250 ms as they are: V8 runs no full GC in a job this short, so its peak is mostly garbage awaiting collection. " +
			"The second pass reindexes again with a full GC before each sample: its peak is what the job keeps alive. " +
			`Flat: that live growth under ${shareText(TARGETS.flatShareOfCatalog)} of the heap of the whole catalog held at once. ` +
			"The embedded engine's index lives in the node's heap: its growth is expected and not judged.",
		"",
		"### Relevance (curated dataset over the fixture catalog)",
		"",
		relevanceTable(r),
		"",
		"### Invariants",
		"",
		table(
			["invariant", "", "seen"],
			r.invariants.map((i) => [i.name, i.ok ? "held" : "**BROKEN**", i.seen]),
		),
		"",
		broken.length === 0 ? "All invariants held." : `${broken.length} invariant(s) BROKEN.`,
		"",
	].join("\n");
}
