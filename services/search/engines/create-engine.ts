import type { AppConfig } from "../../../config";
import type { SearchEngine } from "./search-engine";

/**
 * The engine this node's configuration names. Loaded on demand: an embedded shop never loads the
 * OpenSearch or Elasticsearch clients, and a cluster node never builds an in-process index.
 */
export function createSearchEngine(config: AppConfig): SearchEngine {
	const { url, engine, index } = config.search;
	if (!url) {
		const { EmbeddedSearchEngine } = require("./embedded-engine") as typeof import("./embedded-engine");
		return new EmbeddedSearchEngine();
	}
	if (engine === "elasticsearch") {
		const { ElasticsearchEngine } = require("./elasticsearch-engine") as typeof import("./elasticsearch-engine");
		return new ElasticsearchEngine({ url, indexPrefix: index });
	}
	const { OpenSearchEngine } = require("./opensearch-engine") as typeof import("./opensearch-engine");
	return new OpenSearchEngine({ url, indexPrefix: index });
}
