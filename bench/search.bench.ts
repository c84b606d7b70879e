/**
 * `npm run bench:search`: query latency and indexing throughput of both search engines at 10k and 100k
 * products, against the SQL `LIKE` search the catalog had before (baseline) and each engine's cheapest
 * call (floor), all measured in this run; a 100k reindex through the service with its memory; relevance
 * on both engines. Prints the tables (bench/README.md, "npm run bench:search"); BENCH_JSON_OUT keeps the
 * figures for bench/search/median-of-runs.ts.
 *
 * Exit code: 0 when every invariant held (a missed target included), 1 when one broke, 2 when the bench
 * failed. Every database (`shop_bench_<id>_*`) and OpenSearch index (`bench-<id>-*`) it creates is
 * dropped at the end, on a failure and on Ctrl-C.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { loadConfig } from "../config";
import type { ReindexFigures } from "./nodes/search-reindex-node";
import { type BenchEngine, embeddedEngine, openSearchAnswers, openSearchEngine } from "./search/engines";
import type { Invariant } from "./search/invariants";
import { measureSize, type SizeFigures } from "./search/query-phase";
import { measureReindex } from "./search/reindex-phase";
import { measureRelevance, type RelevanceFigures } from "./search/relevance-phase";
import { runReport } from "./search/report";
import type { SearchBenchResults } from "./search/results";
import { type EngineKey, readSearchSettings } from "./search/settings";
import { openSqlBaseline, type SqlBaseline } from "./search/sql-baseline";
import {
	connectBenchDatabase,
	createBenchDatabase,
	dropDatabasesWithPrefix,
	serverFacts,
} from "./support/bench-database";
import { cleanUp, cleanUpOnExit, onCleanup } from "./support/cleanup";
import { loadAverage, machineInfo } from "./support/machine-info";

const started = Date.now();
const log = (line: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);

async function openSearchVersion(url: string): Promise<string | null> {
	try {
		const body = (await (await fetch(url)).json()) as { version?: { number?: string } };
		return body.version?.number ?? null;
	} catch {
		return null;
	}
}

/** The pass rate the service itself is held to (SEARCH_RELEVANCE_TARGET_PASS_RATE, default 0.9). */
function relevanceTarget(): number {
	const raw = process.env.SEARCH_RELEVANCE_TARGET_PASS_RATE;
	return loadConfig(raw === undefined ? {} : { SEARCH_RELEVANCE_TARGET_PASS_RATE: raw }).search.relevanceTargetPassRate;
}

async function main(): Promise<number> {
	cleanUpOnExit();
	const settings = readSearchSettings();
	const runId = randomBytes(5).toString("hex");
	const machine = machineInfo();
	const loadBefore = loadAverage();
	const skipped: string[] = [];
	log(`run ${runId}: ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, load ${loadBefore}`);

	const admin = await connectBenchDatabase(settings.databaseUrl);
	onCleanup("close bench connection", () => admin.end());
	const mariadbVersion = (await serverFacts(admin)).version;

	let engines: EngineKey[] = settings.engines;
	let osVersion: string | null = null;
	if (engines.includes("opensearch")) {
		if (await openSearchAnswers(settings.searchUrl)) {
			osVersion = await openSearchVersion(settings.searchUrl);
		} else {
			const line = `opensearch: no answer at ${settings.searchUrl} (start it with \`bash infra/local/infra up opensearch\`, or set SEARCH_URL); its figures are not measured`;
			log(line);
			skipped.push(line);
			engines = engines.filter((e) => e !== "opensearch");
		}
	}
	const makeEngine = (key: EngineKey, label: string): BenchEngine =>
		key === "embedded" ? embeddedEngine() : openSearchEngine(settings.searchUrl, `bench-${runId}-${label}`);

	const invariants: Invariant[] = [];
	const sizes: SizeFigures[] = [];
	if (settings.phases.includes("queries")) {
		const prefix = `shop_bench_${runId}_`;
		onCleanup(`drop ${prefix}* databases`, async () => {
			await dropDatabasesWithPrefix(admin, prefix);
		});
		await createBenchDatabase(admin, `${prefix}catalog`);
		const sql: SqlBaseline = await openSqlBaseline(admin, settings.databaseUrl, `${prefix}catalog`);
		for (const size of settings.sizes) {
			const factories = engines.map((key) => () => makeEngine(key, `q${size}`));
			sizes.push(await measureSize(size, settings, factories, sql, invariants, log));
		}
	}

	const reindex: ReindexFigures[] = [];
	if (settings.phases.includes("reindex")) {
		// OpenSearch first: its reindex is the one with targets.
		for (const engine of [...engines].reverse()) {
			log(`${engine} reindex of ${settings.reindexSize} products through the service`);
			const figures = await measureReindex(engine, settings);
			invariants.push(...figures.invariants);
			reindex.push(figures);
			log(`${engine} reindex: ${(figures.totalMs / 1000).toFixed(1)} s`);
		}
	}

	const relevance: RelevanceFigures[] = [];
	if (settings.phases.includes("relevance")) {
		const target = relevanceTarget();
		for (const engine of engines) relevance.push(await measureRelevance(makeEngine(engine, "relevance"), target));
	}

	const results: SearchBenchResults = {
		facts: {
			runId,
			startedAt: new Date(started).toISOString(),
			durationSeconds: Math.round((Date.now() - started) / 1000),
			machine,
			loadAverageBefore: loadBefore,
			loadAverageAfter: loadAverage(),
			mariadbVersion,
			openSearchVersion: osVersion,
			searches: settings.searches,
			warmup: settings.warmup,
			sqlSearches: settings.sqlSearches,
		},
		skipped,
		sizes,
		reindex,
		relevance,
		invariants,
	};
	process.stdout.write(`${runReport(results)}\n`);
	if (settings.jsonOut) fs.writeFileSync(settings.jsonOut, JSON.stringify(results, null, "\t"));
	return invariants.every((i) => i.ok) ? 0 : 1;
}

main()
	.then((code) => {
		process.exitCode = code;
	})
	.catch((err: Error) => {
		process.stderr.write(`[bench] failed: ${err.stack ?? err.message}\n`);
		process.exitCode = 2;
	})
	.finally(() => cleanUp());
