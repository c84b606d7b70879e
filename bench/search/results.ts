/**
 * One run's results (what BENCH_JSON_OUT holds) and the figures read from them: each figure with its
 * target, if it has one. The run's report and the medians of several runs (median-of-runs.ts) read
 * the same list, so a figure is named, computed and judged in one place.
 */

import type { ReindexFigures } from "../nodes/search-reindex-node";
import type { MachineInfo } from "../support/machine-info";
import type { Invariant } from "./invariants";
import type { SizeFigures } from "./query-phase";
import type { RelevanceFigures } from "./relevance-phase";

export interface SearchBenchResults {
	facts: {
		runId: string;
		startedAt: string;
		durationSeconds: number;
		machine: MachineInfo;
		loadAverageBefore: string;
		loadAverageAfter: string;
		mariadbVersion: string;
		openSearchVersion: string | null;
		searches: number;
		warmup: number;
		sqlSearches: number;
	};
	/** Parts left out, and why ("opensearch: no answer at ..."). */
	skipped: string[];
	sizes: SizeFigures[];
	reindex: ReindexFigures[];
	relevance: RelevanceFigures[];
	invariants: Invariant[];
}

/** The targets on this box. */
export const TARGETS = {
	embeddedSearchP95Ms: { size: 10_000, ms: 20 },
	openSearchSearchP95Ms: { size: 100_000, ms: 50 },
	reindexSeconds: 60,
	/**
	 * "Flat": the live heap a reindex adds at its peak (read after a full GC) stays under this share of
	 * what holding the whole catalog in memory costs. One page at a time is half a percent of it; client
	 * buffers and the page in flight make the rest.
	 */
	flatShareOfCatalog: 0.25,
} as const;

export interface Figure {
	/** Stable across runs: the medians line runs up by it. */
	key: string;
	section: "index" | "query" | "reindex" | "relevance";
	label: string;
	value: number | undefined;
	show: (v: number) => string;
	/** Absent: reported, no target. */
	target?: string;
	met?: (v: number) => boolean;
}

export const msText = (v: number) => (Number.isNaN(v) ? "-" : v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(1)} ms`);
export const rateText = (v: number) => `${Math.round(v).toLocaleString("en-US")}/s`;
export const mbText = (v: number) => (Number.isNaN(v) ? "-" : `${v.toFixed(1)} MB`);
export const ratioText = (v: number) =>
	v >= 10 ? `${v.toFixed(0)}x` : v >= 1 ? `${v.toFixed(1)}x` : `${v.toFixed(3)}x`;
export const shareText = (v: number) => `${(v * 100).toFixed(1)}%`;
const sizeText = (n: number) => (n % 1000 === 0 ? `${n / 1000}k` : String(n));

function queryFigures(size: SizeFigures): Figure[] {
	const at = sizeText(size.size);
	const sqlP95 = size.sql?.search.p95;
	const figures: Figure[] = [];
	for (const e of size.engines) {
		const key = `${e.engine}@${size.size}`;
		const searchTarget =
			e.engine === "embedded" && size.size === TARGETS.embeddedSearchP95Ms.size
				? TARGETS.embeddedSearchP95Ms.ms
				: e.engine === "opensearch" && size.size === TARGETS.openSearchSearchP95Ms.size
					? TARGETS.openSearchSearchP95Ms.ms
					: undefined;
		figures.push(
			{
				key: `${key}.indexRate`,
				section: "index",
				label: `${e.engine} @${at}: indexed through engine.apply (until searchable)`,
				value: e.docsPerSecond,
				show: rateText,
			},
			{
				key: `${key}.searchP50`,
				section: "query",
				label: `${e.engine} @${at}: search p50`,
				value: e.search.p50,
				show: msText,
			},
			{
				key: `${key}.searchP95`,
				section: "query",
				label: `${e.engine} @${at}: search p95`,
				value: e.search.p95,
				show: msText,
				...(searchTarget === undefined
					? {}
					: { target: `<= ${searchTarget} ms`, met: (v: number) => v <= searchTarget }),
			},
			{
				key: `${key}.searchP99`,
				section: "query",
				label: `${e.engine} @${at}: search p99`,
				value: e.search.p99,
				show: msText,
			},
			{
				key: `${key}.autocompleteP95`,
				section: "query",
				label: `${e.engine} @${at}: autocomplete p95`,
				value: e.autocomplete.p95,
				show: msText,
			},
			{
				key: `${key}.floorP95`,
				section: "query",
				label: `${e.engine} @${at}: floor p95 (${e.floorLabel})`,
				value: e.floor.p95,
				show: msText,
			},
			{
				key: `${key}.overFloor`,
				section: "query",
				label: `${e.engine} @${at}: search p95 ÷ floor p95`,
				value: e.search.p95 / e.floor.p95,
				show: ratioText,
			},
			{
				key: `${key}.overSql`,
				section: "query",
				label: `${e.engine} @${at}: search p95 ÷ SQL LIKE p95`,
				value: sqlP95 === undefined ? undefined : e.search.p95 / sqlP95,
				show: ratioText,
			},
		);
	}
	if (size.sql) {
		figures.push({
			key: `sql@${size.size}.searchP95`,
			section: "query",
			label: `SQL LIKE (ProductsRepository.list) @${at}: search p95`,
			value: size.sql.search.p95,
			show: msText,
		});
	}
	return figures;
}

function reindexFigures(r: ReindexFigures): Figure[] {
	const key = `reindex.${r.engine}`;
	const growth = r.peak.heapUsedMb - r.baseline.heapUsedMb;
	const figures: Figure[] = [
		{
			key: `${key}.seconds`,
			section: "reindex",
			label: `${r.engine} reindex of ${sizeText(r.products)} through search.reindex: total`,
			value: r.totalMs / 1000,
			show: (v) => `${v.toFixed(1)} s`,
			target: `<= ${TARGETS.reindexSeconds} s`,
			met: (v) => v <= TARGETS.reindexSeconds,
		},
		{
			key: `${key}.rate`,
			section: "reindex",
			label: `${r.engine} reindex: documents/s`,
			value: r.docsPerSecond,
			show: rateText,
		},
		{
			key: `${key}.heapGrowth`,
			section: "reindex",
			label: `${r.engine} reindex: peak heap - baseline`,
			value: growth,
			show: mbText,
		},
		{
			key: `${key}.rssGrowth`,
			section: "reindex",
			label: `${r.engine} reindex: peak RSS - baseline`,
			value: r.peak.rssMb - r.baseline.rssMb,
			show: mbText,
		},
		{
			key: `${key}.holding`,
			section: "reindex",
			label: `${r.engine} node: heap of the ${sizeText(r.products)} products held at once (for comparison)`,
			value: r.holdingCatalogMb,
			show: mbText,
		},
	];
	if (r.live) {
		const liveGrowth = r.live.peak.heapUsedMb - r.live.baseline.heapUsedMb;
		figures.push(
			{
				key: `${key}.liveGrowth`,
				section: "reindex",
				label: `${r.engine} reindex again, full GC before each sample: peak live heap - baseline`,
				value: liveGrowth,
				show: mbText,
			},
			{
				key: `${key}.rawShare`,
				section: "reindex",
				label: `${r.engine} reindex: peak heap growth (uncollected garbage included) ÷ heap of the catalog held`,
				value: growth / r.holdingCatalogMb,
				show: shareText,
			},
			{
				key: `${key}.flat`,
				section: "reindex",
				label: `${r.engine} reindex: peak live heap growth ÷ heap of the catalog held at once`,
				value: liveGrowth / r.holdingCatalogMb,
				show: shareText,
				target: `<= ${shareText(TARGETS.flatShareOfCatalog)} (flat)`,
				met: (v) => v <= TARGETS.flatShareOfCatalog,
			},
		);
	} else {
		figures.push({
			key: `${key}.indexHeap`,
			section: "reindex",
			label: "embedded: heap after the reindex (GC) - baseline: the index itself, expected to grow",
			value: r.afterGc.heapUsedMb - r.baseline.heapUsedMb,
			show: mbText,
		});
	}
	return figures;
}

function relevanceFigures(r: RelevanceFigures): Figure[] {
	return [
		{
			key: `relevance.${r.engine}.passRate`,
			section: "relevance",
			label: `${r.engine} relevance: pass rate over ${r.queries} queries`,
			value: r.passRate,
			show: shareText,
			target: `>= ${shareText(r.targetPassRate)}`,
			met: (v) => v >= r.targetPassRate,
		},
		{
			key: `relevance.${r.engine}.ndcg`,
			section: "relevance",
			label: `${r.engine} relevance: nDCG@10`,
			value: r.ndcgAt10,
			show: (v) => v.toFixed(3),
		},
		{
			key: `relevance.${r.engine}.mrr`,
			section: "relevance",
			label: `${r.engine} relevance: MRR`,
			value: r.mrr,
			show: (v) => v.toFixed(3),
		},
	];
}

export function figuresOf(results: SearchBenchResults): Figure[] {
	return [
		...results.sizes.flatMap(queryFigures),
		...results.reindex.flatMap(reindexFigures),
		...results.relevance.flatMap(relevanceFigures),
	];
}

export function verdict(figure: Figure): string {
	if (!figure.met) return "";
	if (figure.value === undefined || Number.isNaN(figure.value)) return "not measured";
	return figure.met(figure.value) ? "met" : "**MISSED**";
}
