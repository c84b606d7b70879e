/**
 * How fast the OpenSearch engine indexes and answers, on a real server: bulk-indexes generated catalogs
 * (10k, then 100k products) through `engine.apply`, then times mixed searches and autocompletes on the
 * largest one, one at a time (latency, not throughput). Target: search p95 <= 50 ms at 100k.
 * Every index it creates is under a fresh `bench-<id>` prefix and is deleted at the end (or on Ctrl-C).
 *
 *   node --import tsx bench/search-opensearch-probe.ts
 *   SEARCH_URL=http://127.0.0.1:9200 BENCH_SEARCH_SIZES=10000,100000 BENCH_SEARCH_QUERIES=200 \
 *   BENCH_SEARCH_BATCH=5000 node --import tsx bench/search-opensearch-probe.ts
 */
import { randomBytes } from "node:crypto";
import { OpenSearchEngine } from "../services/search/engines/opensearch-engine";
import type { IndexChange, SearchDocument, SearchQuery } from "../services/search/engines/search-engine";
import { cleanUp, cleanUpOnExit, onCleanup } from "./support/cleanup";
import { loadAverage, machineInfo } from "./support/machine-info";
import { percentile } from "./support/percentile";
import { numberFrom } from "./support/settings";

const env = process.env;
const SEARCH_URL = env.SEARCH_URL ?? "http://127.0.0.1:9200";
const SIZES = (env.BENCH_SEARCH_SIZES ?? "10000,100000").split(",").map((s) => Number(s.trim()));
const QUERIES = numberFrom(env, "BENCH_SEARCH_QUERIES", 200);
const WARMUP = numberFrom(env, "BENCH_SEARCH_WARMUP", 30);
/** Changes per `engine.apply` call (the engine splits them into bulk requests of 2,000). */
const BATCH = numberFrom(env, "BENCH_SEARCH_BATCH", 5_000);
const TARGET_P95_MS = 50;
const RUN_PREFIX = `bench-${randomBytes(4).toString("hex")}`;

/** A seeded generator: every run indexes the same catalog and asks the same queries. */
function seeded(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
	};
}

const COLORS = ["red", "blue", "green", "black", "white", "grey", "navy", "olive", "amber", "ivory", "teal", "coral"];
const MATERIALS = [
	"cotton",
	"linen",
	"wool",
	"leather",
	"oak",
	"walnut",
	"brass",
	"copper",
	"ceramic",
	"glass",
	"steel",
];
const ADJECTIVES = [
	"classic",
	"compact",
	"vintage",
	"modern",
	"rustic",
	"premium",
	"lightweight",
	"foldable",
	"handmade",
];
const NOUNS = [
	"shirt",
	"trousers",
	"scarf",
	"jacket",
	"lamp",
	"chair",
	"table",
	"kettle",
	"teapot",
	"mug",
	"blanket",
	"headphones",
	"keyboard",
	"backpack",
	"wallet",
	"sneakers",
	"umbrella",
	"notebook",
	"candle",
	"vase",
	"cushion",
	"bookshelf",
	"sprinkler",
	"toaster",
];
const CATEGORIES = [
	"apparel",
	"kitchen",
	"living",
	"office",
	"garden",
	"bath",
	"electronics",
	"outdoor",
	"decor",
	"toys",
];
const FILLER = [
	"made",
	"with",
	"care",
	"for",
	"everyday",
	"use",
	"durable",
	"soft",
	"easy",
	"clean",
	"gift",
	"ideal",
	"home",
	"travel",
	"design",
	"finish",
	"quality",
	"sustainable",
	"sourced",
];

function pick<T>(random: () => number, items: readonly T[]): T {
	return items[Math.floor(random() * items.length)] as T;
}

function generateCatalog(count: number, random: () => number): SearchDocument[] {
	return Array.from({ length: count }, (_, i) => {
		const noun = pick(random, NOUNS);
		const name = `${pick(random, ADJECTIVES)} ${pick(random, COLORS)} ${pick(random, MATERIALS)} ${noun} ${i % 97}`;
		const words = Array.from({ length: 12 }, () => pick(random, [...FILLER, ...MATERIALS, ...COLORS]));
		return {
			id: `p${i}`,
			sku: `SKU-${(i * 7919 + 1000).toString(36).toUpperCase()}`,
			name: name.replace(/^./, (c) => c.toUpperCase()),
			description: `A ${noun} ${words.join(" ")}.`,
			category: pick(random, CATEGORIES),
			// Log-spread prices from 1.00 to ~2,000.00 so every facet bucket has products.
			priceCents: Math.round(100 * 2000 ** random()),
			currency: "EUR",
			active: random() > 0.1,
			version: 1,
		};
	});
}

function typo(word: string, random: () => number): string {
	const at = 1 + Math.floor(random() * (word.length - 2));
	return `${word.slice(0, at)}${word[at + 1] ?? ""}${word[at] ?? ""}${word.slice(at + 2)}`;
}

/** A shopper's mix: words, phrases, typos, half-typed words, SKUs, filters, browsing. */
function mixedQueries(count: number, catalog: readonly SearchDocument[], random: () => number): SearchQuery[] {
	const base = { activeOnly: true, page: 1, size: 20 };
	const kinds: Array<() => SearchQuery> = [
		() => ({ ...base, q: pick(random, NOUNS) }),
		() => ({ ...base, q: `${pick(random, MATERIALS)} ${pick(random, NOUNS)}` }),
		() => ({ ...base, q: `${pick(random, COLORS)} ${pick(random, MATERIALS)} ${pick(random, NOUNS)}` }),
		() => ({
			...base,
			q: typo(
				pick(
					random,
					NOUNS.filter((n) => n.length >= 5),
				),
				random,
			),
		}),
		() => ({ ...base, q: pick(random, NOUNS).slice(0, 3) }),
		() => ({ ...base, q: `${pick(random, COLORS)} ${pick(random, NOUNS).slice(0, 4)}` }),
		() => ({ ...base, q: pick(random, catalog).sku.toLowerCase() }),
		() => ({ ...base, q: pick(random, NOUNS), category: pick(random, CATEGORIES) }),
		() => ({ ...base, q: pick(random, MATERIALS), minPriceCents: 1_000, maxPriceCents: 5_000 }),
		() => ({ ...base, category: pick(random, CATEGORIES), page: 1 + Math.floor(random() * 3) }),
		() => ({ ...base, q: pick(random, FILLER) }),
	];
	return Array.from({ length: count }, () => pick(random, kinds)());
}

interface Latency {
	p50: number;
	p95: number;
	p99: number;
	max: number;
}

async function timeEach<T>(items: readonly T[], run: (item: T) => Promise<unknown>): Promise<Latency> {
	const times: number[] = [];
	for (const item of items) {
		const started = performance.now();
		await run(item);
		times.push(performance.now() - started);
	}
	times.sort((a, b) => a - b);
	const at = (p: number) => percentile(times, p) ?? Number.NaN;
	return { p50: at(50), p95: at(95), p99: at(99), max: times[times.length - 1] ?? Number.NaN };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

async function indexCatalog(engine: OpenSearchEngine, catalog: readonly SearchDocument[]) {
	const started = performance.now();
	for (let i = 0; i < catalog.length; i += BATCH) {
		const changes = catalog.slice(i, i + BATCH).map((document): IndexChange => ({ kind: "upsert", document }));
		const outcomes = await engine.apply(changes);
		const stale = outcomes.filter((o) => o !== "applied").length;
		if (stale > 0) throw new Error(`${stale} fresh products were reported stale`);
	}
	const written = performance.now() - started;
	await engine.refresh();
	const searchable = performance.now() - started;
	const counted = await engine.count();
	if (counted !== catalog.length) throw new Error(`indexed ${catalog.length} products, the engine counts ${counted}`);
	return { written, searchable };
}

async function main(): Promise<void> {
	cleanUpOnExit();
	const machine = machineInfo();
	console.log(
		`OpenSearch engine probe: ${SEARCH_URL}, ${machine.cpus} CPUs (${machine.cpuModel}), node ${machine.node}, load ${loadAverage()}`,
	);
	const probe = new OpenSearchEngine({ url: SEARCH_URL, indexPrefix: RUN_PREFIX });
	if (!(await probe.ping())) throw new Error(`no OpenSearch answers at ${SEARCH_URL}`);
	onCleanup("drop bench indexes", async () => {
		await probe.dropAllIndexes();
		await probe.stop();
	});

	const random = seeded(42);
	const largest = Math.max(...SIZES);
	const catalog = generateCatalog(largest, random);
	let measured: OpenSearchEngine | undefined;

	console.log("\n| products | bulk write | docs/s (write) | searchable after | docs/s (searchable) |");
	console.log("| ---: | ---: | ---: | ---: | ---: |");
	for (const size of SIZES) {
		const engine = new OpenSearchEngine({ url: SEARCH_URL, indexPrefix: `${RUN_PREFIX}-${size}` });
		onCleanup(`stop engine ${size}`, () => engine.stop());
		await engine.start();
		const { written, searchable } = await indexCatalog(engine, catalog.slice(0, size));
		const rate = (elapsed: number) => Math.round(size / (elapsed / 1000)).toLocaleString("en");
		console.log(
			`| ${size.toLocaleString("en")} | ${(written / 1000).toFixed(2)} s | ${rate(written)} | ${(searchable / 1000).toFixed(2)} s | ${rate(searchable)} |`,
		);
		if (size === largest) measured = engine;
	}
	if (!measured) return;

	const engine = measured;
	const queries = mixedQueries(WARMUP + QUERIES, catalog, random);
	await timeEach(queries.slice(0, WARMUP), (q) => engine.search(q));
	let emptyPages = 0;
	const search = await timeEach(queries.slice(WARMUP), async (q) => {
		const page = await engine.search(q);
		if (page.total === 0) emptyPages++;
	});
	const prefixes = Array.from({ length: QUERIES }, () => {
		const noun = pick(random, NOUNS);
		return random() < 0.3 ? typo(noun, random).slice(0, 6) : noun.slice(0, 2 + Math.floor(random() * 4));
	});
	const autocomplete = await timeEach(prefixes, (prefix) => engine.autocomplete(prefix, 8));

	console.log(
		`\n${QUERIES} queries each at ${largest.toLocaleString("en")} products, one at a time, after ${WARMUP} warm-up:`,
	);
	console.log("| request | p50 | p95 | p99 | max |");
	console.log("| --- | ---: | ---: | ---: | ---: |");
	for (const [label, l] of [
		["search (mixed, with facets)", search],
		["autocomplete (limit 8)", autocomplete],
	] as const) {
		console.log(`| ${label} | ${ms(l.p50)} | ${ms(l.p95)} | ${ms(l.p99)} | ${ms(l.max)} |`);
	}
	console.log(
		`\nsearch p95 ${ms(search.p95)}: target <= ${TARGET_P95_MS} ms ${search.p95 <= TARGET_P95_MS ? "met" : "MISSED"}` +
			` (${emptyPages} of ${QUERIES} searches found nothing); load ${loadAverage()}`,
	);
}

main()
	.catch((err) => {
		process.stderr.write(`[bench] failed: ${(err as Error).message}\n`);
		process.exitCode = 2;
	})
	.finally(() => cleanUp());
