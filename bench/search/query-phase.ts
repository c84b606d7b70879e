/**
 * Part 1, per catalog size: the catalog into the SQL baseline's table and into each engine through
 * `engine.apply`, then the same searches, autocompletes and floor calls, one at a time, on each.
 */
import type { IndexChange, SearchDocument } from "../../services/search/engines/search-engine";
import { benchCatalog, queryMix, shopperLoad } from "./catalog";
import type { BenchEngine } from "./engines";
import type { Invariant } from "./invariants";
import { type Latency, timeEach } from "./latency";
import type { EngineKey, SearchBenchSettings } from "./settings";
import type { SqlBaseline } from "./sql-baseline";

export interface EngineFigures {
	engine: EngineKey;
	/** All `engine.apply` calls, first to last. */
	applyMs: number;
	/** Until a search sees every product (OpenSearch: after the refresh; embedded: the same as applyMs). */
	searchableMs: number;
	docsPerSecond: number;
	search: Latency;
	/** Measured searches that found nothing (typos the engine did not forgive, or a filter that empties). */
	emptySearches: number;
	autocomplete: Latency;
	floorLabel: string;
	floor: Latency;
}

export interface SizeFigures {
	size: number;
	queryMix: Record<string, number>;
	sql?: { loadMs: number; searches: number; search: Latency; emptySearches: number };
	engines: EngineFigures[];
}

/** Autocomplete's default limit in the API. */
const SUGGESTIONS = 10;

async function indexCatalog(bench: BenchEngine, catalog: readonly SearchDocument[], batch: number) {
	const started = performance.now();
	let stale = 0;
	for (let i = 0; i < catalog.length; i += batch) {
		const changes = catalog.slice(i, i + batch).map((document): IndexChange => ({ kind: "upsert", document }));
		stale += (await bench.engine.apply(changes)).filter((outcome) => outcome !== "applied").length;
	}
	const applyMs = performance.now() - started;
	await bench.refresh();
	return { applyMs, searchableMs: performance.now() - started, stale };
}

export async function measureSize(
	size: number,
	settings: SearchBenchSettings,
	engines: ReadonlyArray<() => BenchEngine>,
	sql: SqlBaseline | undefined,
	invariants: Invariant[],
	log: (line: string) => void,
): Promise<SizeFigures> {
	const catalog = benchCatalog(size);
	const load = shopperLoad(catalog, settings.searches, settings.warmup);
	const figures: SizeFigures = { size, queryMix: queryMix(load.searches), engines: [] };

	for (const make of engines) {
		const bench = make();
		await bench.engine.start();
		log(`${bench.key} @${size}: indexing`);
		const indexed = await indexCatalog(bench, catalog, settings.applyBatch);
		const counted = await bench.engine.count();
		invariants.push({
			name: `${bench.key} @${size}: count() after indexing = products applied, none stale`,
			ok: counted === size && indexed.stale === 0,
			seen: `${counted} of ${size}, ${indexed.stale} stale`,
		});
		for (const query of load.warmup) await bench.engine.search(query);
		let emptySearches = 0;
		const search = await timeEach(load.searches, async (query) => {
			if ((await bench.engine.search(query)).total === 0) emptySearches++;
		});
		const autocomplete = await timeEach(load.prefixes, (prefix) => bench.engine.autocomplete(prefix, SUGGESTIONS));
		// A product per call, spread over the catalog, so the floor is not one cached answer.
		const sample = load.searches.map((_, i) => catalog[(i * 7_919) % catalog.length] as SearchDocument);
		const floor = await timeEach(sample, (document) => bench.floor(document));
		await bench.close();
		figures.engines.push({
			engine: bench.key,
			applyMs: indexed.applyMs,
			searchableMs: indexed.searchableMs,
			docsPerSecond: size / (indexed.searchableMs / 1000),
			search,
			emptySearches,
			autocomplete,
			floorLabel: bench.floorLabel,
			floor,
		});
		log(`${bench.key} @${size}: search p95 ${search.p95.toFixed(1)} ms`);
	}

	if (sql) {
		log(`SQL LIKE @${size}: loading the table`);
		const loadMs = await sql.load(catalog);
		const queries = load.searches.slice(0, settings.sqlSearches);
		let emptySearches = 0;
		const search = await timeEach(queries, async (query) => {
			if ((await sql.search(query)).total === 0) emptySearches++;
		});
		figures.sql = { loadMs, searches: queries.length, search, emptySearches };
		log(`SQL LIKE @${size}: p95 ${search.p95.toFixed(1)} ms`);
	}
	return figures;
}
