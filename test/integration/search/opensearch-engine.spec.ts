/**
 * The OpenSearch engine against a real OpenSearch (SEARCH_URL, default the local node that
 * `infra/local/infra up opensearch` starts): the shared behaviour suite, then what only a server engine
 * has (aliases, concurrent starts, outages). Every engine gets its own index prefix under this file's
 * run prefix; afterAll deletes every index under it.
 */
import { createServer, type Server, type Socket } from "node:net";
import { Client } from "@opensearch-project/opensearch";
import {
	type ClusterEngineOptions,
	OpenSearchEngine,
	SearchEngineError,
} from "../../../services/search/engines/opensearch-engine";
import type { SearchDocument, SearchEngine } from "../../../services/search/engines/search-engine";
import { SEARCH_INDEX_MAPPINGS, SEARCH_INDEX_SETTINGS } from "../../../services/search/engines/search-index-mapping";
import { testNamespace } from "../../support/test-namespaces";
import { describeSearchEngine, product } from "./search-engine.behaviour";

const SEARCH_URL = process.env.SEARCH_URL ?? "http://127.0.0.1:9200";
/** A test namespace, so the global set-up and teardown remove what a crashed run left. */
const RUN_PREFIX = `${testNamespace("test")}.os`;
let engines = 0;

function newEngine(options: Partial<ClusterEngineOptions> = {}): OpenSearchEngine {
	engines++;
	return new OpenSearchEngine({ url: SEARCH_URL, indexPrefix: `${RUN_PREFIX}-${engines}`, ...options });
}

afterAll(async () => {
	// Matches `${RUN_PREFIX}-*`: every generation of every engine this file made.
	const janitor = new OpenSearchEngine({ url: SEARCH_URL, indexPrefix: RUN_PREFIX });
	await janitor.dropAllIndexes();
	await janitor.stop();
});

describeSearchEngine("opensearch", async () => newEngine(), {
	settle: (engine: SearchEngine) => (engine as OpenSearchEngine).refresh(),
});

describe("OpenSearch engine, beyond the shared behaviour", () => {
	const lamp = (fields: Partial<SearchDocument> = {}) => product({ name: "Brass Desk Lamp", ...fields });

	it("when refresh is wait_for, then a write is searchable as soon as apply returns", async () => {
		const engine = newEngine({ refresh: "wait_for" });
		try {
			await engine.start();
			const doc = lamp();
			await engine.apply([{ kind: "upsert", document: doc }]);

			expect((await engine.search({ q: "lamp", activeOnly: true, page: 1, size: 5 })).items.map((h) => h.id)).toEqual([
				doc.id,
			]);
		} finally {
			await engine.stop();
		}
	});

	it("when a page lies past the server's 10,000-result window, then it comes back empty with its total, not refused", async () => {
		const engine = newEngine({ refresh: true });
		try {
			await engine.start();
			await engine.apply([{ kind: "upsert", document: lamp() }]);

			const page = await engine.search({ activeOnly: true, page: 1_000, size: 20 });

			expect(page.items).toEqual([]);
			expect(page.total).toBe(1);
			expect(page.facets.category).toEqual([{ value: "misc", count: 1 }]);
		} finally {
			await engine.stop();
		}
	});

	it("when two nodes start on the same empty prefix at once, then the alias ends on exactly one index and takes writes", async () => {
		const prefix = `${RUN_PREFIX}-race`;
		const nodes = [0, 1, 2].map(() => new OpenSearchEngine({ url: SEARCH_URL, indexPrefix: prefix, refresh: true }));
		try {
			await Promise.all(nodes.map((node) => node.start()));
			const doc = lamp();

			expect(await nodes[1]?.apply([{ kind: "upsert", document: doc }])).toEqual(["applied"]);
			expect(await nodes[2]?.count()).toBe(1);
		} finally {
			await Promise.all(nodes.map((node) => node.stop()));
		}
	});

	it("when a rebuild commits, then the old generation is deleted and a second rebuild can start", async () => {
		const engine = newEngine({ refresh: true });
		try {
			await engine.start();
			const first = await engine.beginRebuild();
			await expect(engine.beginRebuild()).rejects.toThrow(/already open/);
			await first.commit();
			await expect(first.add([lamp()])).rejects.toThrow(/closed/);

			const second = await engine.beginRebuild();
			await second.add([lamp()]);
			await second.commit();

			expect(await engine.count()).toBe(1);
		} finally {
			await engine.stop();
		}
	});

	it("when the live index was created before deletedAt existed, then start adds the field and it takes tombstones again", async () => {
		const prefix = `${RUN_PREFIX}-old-mapping`;
		const admin = new Client({ node: SEARCH_URL });
		const { deletedAt: _added, ...oldProperties } = SEARCH_INDEX_MAPPINGS.properties;
		const { gc_deletes: _setLater, ...oldSettings } = SEARCH_INDEX_SETTINGS;
		await admin.indices.create({
			index: `${prefix}-1`,
			body: JSON.parse(
				JSON.stringify({
					settings: oldSettings,
					mappings: { ...SEARCH_INDEX_MAPPINGS, properties: oldProperties },
					aliases: { [prefix]: {} },
				}),
			),
		});
		const engine = new OpenSearchEngine({ url: SEARCH_URL, indexPrefix: prefix, refresh: true });
		try {
			const gone = lamp();
			// The strict old mapping refuses a tombstone carrying deletedAt.
			await expect(engine.apply([{ kind: "delete", id: gone.id, version: 2 }])).rejects.toThrow(
				/strict_dynamic_mapping/,
			);

			await engine.start();

			const mapping = await admin.indices.getMapping({ index: `${prefix}-1` });
			const properties = (mapping.body[`${prefix}-1`]?.mappings.properties ?? {}) as Record<string, { type?: string }>;
			expect(properties.deletedAt?.type).toBe("long");
			expect(await engine.apply([{ kind: "delete", id: gone.id, version: 2 }])).toEqual(["applied"]);
			expect(await engine.purgeTombstones(Date.now() + 1)).toBe(1);
		} finally {
			await engine.stop();
			await admin.close();
		}
	});

	it("when the server refuses a request, then the error names the operation and the server's reason", async () => {
		// Index names must be lowercase: the server answers 400.
		const engine = new OpenSearchEngine({ url: SEARCH_URL, indexPrefix: `${RUN_PREFIX}-Upper` });
		try {
			const failure = engine.start();

			await expect(failure).rejects.toBeInstanceOf(SearchEngineError);
			await expect(failure).rejects.toThrow(/^OpenSearch start failed: HTTP 400 invalid_index_name_exception/);
		} finally {
			await engine.stop();
		}
	});
});

describe("OpenSearch engine when the server is down", () => {
	const query = { q: "lamp", activeOnly: true, page: 1, size: 5 };

	it("when nothing listens on the port, then ping says false and search fails at once with a clear error", async () => {
		const engine = new OpenSearchEngine({ url: "http://127.0.0.1:1", indexPrefix: "unreachable" });
		try {
			const started = performance.now();
			expect(await engine.ping()).toBe(false);
			await expect(engine.search(query)).rejects.toThrow(/^OpenSearch search failed: ConnectionError: .*ECONNREFUSED/);
			expect(performance.now() - started).toBeLessThan(1_000);
		} finally {
			await engine.stop();
		}
	});

	describe("when the server accepts connections but never answers", () => {
		let silent: Server;
		const sockets = new Set<Socket>();
		let url = "";

		beforeAll(async () => {
			silent = createServer((socket) => {
				sockets.add(socket);
				socket.on("close", () => sockets.delete(socket));
			});
			await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
			const address = silent.address();
			if (address === null || typeof address === "string") throw new Error("no TCP address");
			url = `http://127.0.0.1:${address.port}`;
		});
		afterAll(async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => silent.close(() => resolve()));
		});

		it("then search fails after the request timeout (~2 s), not later, and ping says false", async () => {
			const engine = new OpenSearchEngine({ url, indexPrefix: "silent" });
			try {
				const started = performance.now();
				await expect(engine.search(query)).rejects.toThrow(/^OpenSearch search failed: TimeoutError/);
				const waited = performance.now() - started;
				expect(waited).toBeGreaterThanOrEqual(1_900);
				expect(waited).toBeLessThan(3_500);

				expect(await engine.ping()).toBe(false);
			} finally {
				await engine.stop();
			}
		});
	});
});
