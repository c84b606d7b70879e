/** What one `npm run bench:search` run does, from the environment; defaults are the full run. */
import { numberFrom } from "../support/settings";

export type EngineKey = "embedded" | "opensearch";
export type PhaseKey = "queries" | "reindex" | "relevance";

export interface SearchBenchSettings {
	/** Catalog sizes of the query phase. */
	sizes: number[];
	/** Measured searches and autocompletes per engine and size (one at a time). */
	searches: number;
	warmup: number;
	/** Searches the SQL baseline runs (the first of the same list): a LIKE scan of 100k rows is slow. */
	sqlSearches: number;
	/** Changes per `engine.apply` call while indexing. */
	applyBatch: number;
	/** Products of the reindex phase. */
	reindexSize: number;
	/** Memory samples during a reindex, every this many ms. */
	sampleEveryMs: number;
	engines: EngineKey[];
	phases: PhaseKey[];
	searchUrl: string;
	databaseUrl: string;
	/** Extra settings of the reindex node (`NAME=value,...`), e.g. SEARCH_REINDEX_PAGE_SIZE=2000. */
	nodeEnv: Record<string, string>;
	/** When set, the reindex child runs with --cpu-prof and writes its profile here. */
	cpuProfileDir: string;
	jsonOut: string;
}

function listOf<T extends string>(raw: string | undefined, known: readonly T[], name: string): T[] {
	if (!raw) return [...known];
	const names = raw.split(",").map((part) => part.trim());
	const unknown = names.filter((n) => !known.includes(n as T));
	if (unknown.length > 0) throw new Error(`${name}: unknown ${unknown.join(", ")} (known: ${known.join(", ")})`);
	return names as T[];
}

function sizesOf(raw: string | undefined): number[] {
	if (!raw) return [10_000, 100_000];
	const sizes = raw.split(",").map((part) => Number(part.trim()));
	if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`BENCH_SEARCH_SIZES: bad list "${raw}"`);
	return sizes;
}

function assignmentsOf(raw: string | undefined): Record<string, string> {
	if (!raw) return {};
	const pairs = raw.split(/[,\s]+/).filter(Boolean);
	const bad = pairs.filter((pair) => !/^[A-Z0-9_]+=/.test(pair));
	if (bad.length > 0) throw new Error(`BENCH_SEARCH_NODE_ENV: expected NAME=value pairs, got ${bad.join(", ")}`);
	return Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
}

export function readSearchSettings(env: NodeJS.ProcessEnv = process.env): SearchBenchSettings {
	const searches = numberFrom(env, "BENCH_SEARCH_QUERIES", 300);
	return {
		sizes: sizesOf(env.BENCH_SEARCH_SIZES),
		searches,
		warmup: numberFrom(env, "BENCH_SEARCH_WARMUP", 50),
		sqlSearches: Math.min(searches, numberFrom(env, "BENCH_SEARCH_SQL_QUERIES", 200)),
		applyBatch: numberFrom(env, "BENCH_SEARCH_BATCH", 5_000),
		reindexSize: numberFrom(env, "BENCH_SEARCH_REINDEX_SIZE", 100_000),
		sampleEveryMs: numberFrom(env, "BENCH_SEARCH_SAMPLE_MS", 250),
		engines: listOf(env.BENCH_SEARCH_ENGINES, ["embedded", "opensearch"] as const, "BENCH_SEARCH_ENGINES"),
		phases: listOf(env.BENCH_SEARCH_PHASES, ["queries", "reindex", "relevance"] as const, "BENCH_SEARCH_PHASES"),
		searchUrl: env.SEARCH_URL || "http://127.0.0.1:9200",
		databaseUrl: env.BENCH_DATABASE_URL ?? "mysql://shop:shop@127.0.0.1:3306",
		nodeEnv: assignmentsOf(env.BENCH_SEARCH_NODE_ENV),
		cpuProfileDir: env.BENCH_CPU_PROF_DIR ?? "",
		jsonOut: env.BENCH_JSON_OUT ?? "",
	};
}
