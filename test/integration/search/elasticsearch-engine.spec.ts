/**
 * The Elasticsearch engine: the shared behaviour suite against ELASTICSEARCH_URL, and how it reports an
 * unreachable server (that part needs no server and always runs).
 */
import { randomBytes } from "node:crypto";
import { ElasticsearchEngine } from "../../../services/search/engines/elasticsearch-engine";
import type { SearchEngine } from "../../../services/search/engines/search-engine";
import { describeSearchEngine } from "./search-engine.behaviour";

const ELASTICSEARCH_URL = process.env.ELASTICSEARCH_URL;
const RUN_PREFIX = `test-${randomBytes(4).toString("hex")}`;
let engines = 0;

// Skipped without ELASTICSEARCH_URL: no Elasticsearch 8 server can be run on this machine (no runnable
// assembly on Maven Central, no Docker), and the local OpenSearch is no stand-in: the 8.x client refuses
// to talk to anything but Elasticsearch (ProductNotSupportedError).
const whenElasticsearch = ELASTICSEARCH_URL ? describe : describe.skip;

whenElasticsearch("Elasticsearch engine against ELASTICSEARCH_URL", () => {
	afterAll(async () => {
		const janitor = new ElasticsearchEngine({ url: ELASTICSEARCH_URL ?? "", indexPrefix: RUN_PREFIX });
		await janitor.dropAllIndexes();
		await janitor.stop();
	});

	describeSearchEngine(
		"elasticsearch",
		async () => {
			engines++;
			return new ElasticsearchEngine({ url: ELASTICSEARCH_URL ?? "", indexPrefix: `${RUN_PREFIX}-${engines}` });
		},
		{ settle: (engine: SearchEngine) => (engine as ElasticsearchEngine).refresh() },
	);
});

describe("Elasticsearch engine when the server is down", () => {
	it("when nothing listens on the port, then ping says false and search fails at once with a clear error", async () => {
		const engine = new ElasticsearchEngine({ url: "http://127.0.0.1:1", indexPrefix: "unreachable" });
		try {
			const started = performance.now();
			expect(await engine.ping()).toBe(false);
			await expect(engine.search({ q: "lamp", activeOnly: true, page: 1, size: 5 })).rejects.toThrow(
				/^Elasticsearch search failed: ConnectionError: .*ECONNREFUSED/,
			);
			expect(performance.now() - started).toBeLessThan(1_000);
		} finally {
			await engine.stop();
		}
	});
});
