/**
 * The two engines as the query and relevance phases use them: built directly (no broker), each with
 * the cheapest call it can answer, which is the floor a real query is compared with.
 */
import { Client } from "@opensearch-project/opensearch";
import { EmbeddedSearchEngine } from "../../services/search/engines/embedded-engine";
import { OpenSearchEngine } from "../../services/search/engines/opensearch-engine";
import type { SearchDocument, SearchEngine } from "../../services/search/engines/search-engine";
import { onCleanup } from "../support/cleanup";
import type { EngineKey } from "./settings";

export interface BenchEngine {
	key: EngineKey;
	engine: SearchEngine;
	/** Makes every write so far visible to searches (OpenSearch refreshes; embedded is at once). */
	refresh(): Promise<void>;
	/** What `floor` calls, for the report. */
	floorLabel: string;
	/** The engine's cheapest round trip; `document` is a product of the catalog. */
	floor(document: SearchDocument): Promise<unknown>;
	/** Stops the engine and deletes what it created. */
	close(): Promise<void>;
}

export function embeddedEngine(): BenchEngine {
	const engine = new EmbeddedSearchEngine();
	return {
		key: "embedded",
		engine,
		refresh: async () => undefined,
		floorLabel: "exact-SKU search",
		floor: (document) => engine.search({ q: document.sku, activeOnly: false, page: 1, size: 1 }),
		close: () => engine.stop(),
	};
}

/** An OpenSearch engine on its own alias `indexPrefix`; its indexes are deleted on close (and at cleanup). */
export function openSearchEngine(url: string, indexPrefix: string): BenchEngine {
	const engine = new OpenSearchEngine({ url, indexPrefix });
	const raw = new Client({ node: url, requestTimeout: 10_000, maxRetries: 0 });
	const close = onCleanup(`drop OpenSearch indexes ${indexPrefix}-*`, async () => {
		await engine.dropAllIndexes();
		await engine.stop();
		await raw.close();
	});
	return {
		key: "opensearch",
		engine,
		refresh: () => engine.refresh(),
		floorLabel: "`size: 0` match_all on the alias",
		floor: () => raw.search({ index: indexPrefix, body: { size: 0, query: { match_all: {} } } }),
		close,
	};
}

/** Whether an OpenSearch answers at `url` (a ping with a short timeout). */
export async function openSearchAnswers(url: string): Promise<boolean> {
	const client = new Client({ node: url, requestTimeout: 2_000, maxRetries: 0 });
	try {
		return (await client.ping()).statusCode === 200;
	} catch {
		return false;
	} finally {
		await client.close().catch(() => undefined);
	}
}
