/**
 * Part 2's node, in a process of its own (a fresh heap, so its memory figures are the reindex's): a broker
 * built as a shop node builds it, running products (MariaDB) and search (OpenSearch when SEARCH_URL is
 * set, else embedded). It fills the catalog's table by SQL, calls `search.reindex`, follows
 * `search.reindexStatus` to the end while sampling its own memory, checks the counts, measures what
 * holding the whole catalog in memory would cost, and prints one `BENCH_RESULT {json}` line.
 *
 * Started by search/reindex-phase.ts with --expose-gc and the node's environment; the parent drops the
 * databases and indexes (it named them), also when this process dies.
 */
import { ServiceBroker } from "moleculer";
import type mysql from "mysql2/promise";
import { loadConfig } from "../../config";
import productsService from "../../services/products/products.service";
import type { CatalogPage } from "../../services/search/reindex-job";
import type { ReindexJob } from "../../services/search/reindex-jobs.repository";
import searchService from "../../services/search/search.service";
import { brokerOptions } from "../../wiring/broker-options";
import { benchCatalog } from "../search/catalog";
import type { Invariant } from "../search/invariants";
import { insertProducts } from "../search/products-table";
import { connectBenchDatabase } from "../support/bench-database";
import { numberFrom } from "../support/settings";

export interface MemorySample {
	/** ms since the reindex call. */
	atMs: number;
	heapUsedMb: number;
	rssMb: number;
}

type Memory = { heapUsedMb: number; rssMb: number };

export interface ReindexFigures {
	engine: "embedded" | "opensearch";
	products: number;
	pageSize: number;
	insertMs: number;
	/** Pass 1, the timed one: `search.reindex` called -> `search.reindexStatus` says it ended. */
	totalMs: number;
	docsPerSecond: number;
	job: ReindexJob;
	documentsAfter: number;
	/** After a full GC, just before the call. */
	baseline: Memory;
	/** The largest of the samples taken every BENCH_SAMPLE_MS during pass 1 (garbage not yet collected included). */
	peak: Memory;
	/** After a full GC, once pass 1 ended (embedded: the new index is in it). */
	afterGc: Memory;
	samples: number;
	/**
	 * Pass 2, the same reindex again with a full GC before every sample: what the job keeps alive, without
	 * the garbage V8 lets pile up between full collections (it ran none during pass 1's few seconds).
	 * OpenSearch only (null for embedded).
	 */
	live: { totalMs: number; baseline: Memory; peak: Memory; samples: number } | null;
	/** Heap after GC with every product of the catalog held as exportPage gives them, minus without. */
	holdingCatalogMb: number;
	invariants: Invariant[];
}

const MB = 2 ** 20;
const POLL_MS = 100;
const JOB_TIMEOUT_MS = 15 * 60_000;

function fullGc(): void {
	const gc = (globalThis as { gc?: () => void }).gc;
	if (!gc) throw new Error("run the reindex node with --expose-gc");
	gc();
}

function memory(): Memory {
	const { heapUsed, rss } = process.memoryUsage();
	return { heapUsedMb: heapUsed / MB, rssMb: rss / MB };
}

/** Memory after a full GC (twice: the first may leave what finalizers freed). */
function collect(): Memory {
	fullGc();
	fullGc();
	return memory();
}

interface Pass {
	job: ReindexJob;
	totalMs: number;
	baseline: Memory;
	peak: Memory;
	samples: number;
}

/** One reindex through the service, followed to its end, memory sampled meanwhile (after a full GC each, if `live`). */
async function reindexPass(broker: ServiceBroker, sampleEveryMs: number, live: boolean): Promise<Pass> {
	const baseline = collect();
	const samples: MemorySample[] = [];
	const started = performance.now();
	const sampler = setInterval(() => {
		if (live) fullGc();
		samples.push({ atMs: performance.now() - started, ...memory() });
	}, sampleEveryMs);
	let job = await broker.call<ReindexJob, object>("search.reindex", {});
	const deadline = Date.now() + JOB_TIMEOUT_MS;
	while (job.status === "RUNNING" && Date.now() < deadline) {
		await sleep(POLL_MS);
		job = await broker.call<ReindexJob, { jobId: string }>("search.reindexStatus", { jobId: job.jobId });
	}
	const totalMs = performance.now() - started;
	clearInterval(sampler);
	const peak = {
		heapUsedMb: Math.max(baseline.heapUsedMb, ...samples.map((s) => s.heapUsedMb)),
		rssMb: Math.max(baseline.rssMb, ...samples.map((s) => s.rssMb)),
	};
	return { job, totalMs, baseline, peak, samples: samples.length };
}

function jobInvariants(engine: string, pass: string, job: ReindexJob, documents: number, size: number): Invariant[] {
	return [
		{
			name: `${engine} reindex (${pass}): job COMPLETED, processed = products`,
			ok: job.status === "COMPLETED" && job.processed === size,
			seen: `${job.status}${job.error ? ` (${job.error})` : ""}, ${job.processed} of ${size}`,
		},
		{
			name: `${engine} reindex (${pass}): search.status documents = products`,
			ok: documents === size,
			seen: `${documents} of ${size}`,
		},
	];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The embedded engine builds its index from the (empty) catalog at start: that job must be over first. */
async function waitForInitialBuild(admin: mysql.Connection, searchDb: string): Promise<void> {
	const deadline = Date.now() + 60_000;
	for (;;) {
		const [rows] = await admin.query<mysql.RowDataPacket[]>(
			`SELECT COUNT(*) AS n FROM \`${searchDb}\`.reindex_jobs WHERE status <> 'RUNNING'`,
		);
		if (Number(rows[0]?.n) > 0) return;
		if (Date.now() > deadline) throw new Error("the embedded engine's initial build did not end within 60 s");
		await sleep(POLL_MS);
	}
}

/**
 * The heap every product of the catalog takes when held at once as `products.exportPage` gives them:
 * what a reindex must not do. In a function of its own, so nothing of the array outlives it (a suspended
 * async frame can keep a stale reference to a temporary until it resumes).
 */
async function heapOfWholeCatalog(broker: ServiceBroker, size: number): Promise<number> {
	const before = collect();
	const held: unknown[] = [];
	let afterId: string | undefined;
	for (;;) {
		const page = await broker.call<CatalogPage, object>("products.exportPage", {
			limit: 5_000,
			...(afterId === undefined ? {} : { afterId }),
		});
		held.push(...page.items);
		if (page.nextAfterId === null) break;
		afterId = page.nextAfterId;
	}
	const after = collect();
	return held.length === size ? after.heapUsedMb - before.heapUsedMb : Number.NaN;
}

/** Writes the generated catalog into the products table (its own frame: the 100k documents die with it). */
async function fillCatalog(admin: mysql.Connection, database: string, size: number): Promise<number> {
	const started = performance.now();
	await insertProducts(admin, database, benchCatalog(size));
	return performance.now() - started;
}

async function run(): Promise<ReindexFigures> {
	const size = numberFrom(process.env, "BENCH_REINDEX_SIZE", 100_000);
	const sampleEveryMs = numberFrom(process.env, "BENCH_SAMPLE_MS", 250);
	const config = loadConfig(process.env);
	const engine = config.search.url ? "opensearch" : "embedded";
	const broker = new ServiceBroker({ ...brokerOptions(config), skipProcessEventRegistration: true });
	broker.createService(productsService(config));
	broker.createService(searchService(config));
	const admin = await connectBenchDatabase(config.db.url);
	try {
		await broker.start();
		const productsDb = `${config.db.namePrefix}products`;
		if (engine === "embedded") await waitForInitialBuild(admin, `${config.db.namePrefix}search`);

		const insertMs = await fillCatalog(admin, productsDb, size);

		const timed = await reindexPass(broker, sampleEveryMs, false);
		const status = await broker.call<{ documents: number }, object>("search.status", {});
		const afterGc = collect();
		const invariants = jobInvariants(engine, "timed", timed.job, status.documents, size);
		// The embedded index is the heap's own growth, and full GCs of a heap holding two of them take long.
		let live: Pass | null = null;
		if (engine === "opensearch") {
			live = await reindexPass(broker, sampleEveryMs, true);
			const liveStatus = await broker.call<{ documents: number }, object>("search.status", {});
			invariants.push(...jobInvariants(engine, "live heap", live.job, liveStatus.documents, size));
		}
		const holdingCatalogMb = await heapOfWholeCatalog(broker, size);
		return {
			engine,
			products: size,
			pageSize: config.search.reindexPageSize,
			insertMs,
			totalMs: timed.totalMs,
			docsPerSecond: timed.job.processed / (timed.totalMs / 1000),
			job: timed.job,
			documentsAfter: status.documents,
			baseline: timed.baseline,
			peak: timed.peak,
			afterGc,
			samples: timed.samples,
			live: live && { totalMs: live.totalMs, baseline: live.baseline, peak: live.peak, samples: live.samples },
			holdingCatalogMb,
			invariants,
		};
	} finally {
		await broker.stop().catch(() => undefined);
		await admin.end().catch(() => undefined);
	}
}

run()
	.then((figures) => {
		process.stdout.write(`BENCH_RESULT ${JSON.stringify(figures)}\n`);
	})
	.catch((err: Error) => {
		process.stderr.write(`[reindex node] ${err.stack ?? err.message}\n`);
		process.exitCode = 2;
	});
