/**
 * The cluster-mode search engine on Elasticsearch 8.x, for users who run Elasticsearch instead of
 * OpenSearch: the same engine (ClusterSearchEngine), mapping and queries; only the client calls differ.
 * A separate client because @elastic/elasticsearch 8.x refuses to talk to OpenSearch (product check).
 */
import { Client } from "@elastic/elasticsearch";
import {
	type ClusterEngineOptions,
	type ClusterIndexClient,
	ClusterSearchEngine,
	type Refresh,
} from "./opensearch-engine";
import { dynamicSettings, SEARCH_INDEX_MAPPINGS, searchIndexDefinition } from "./search-index-mapping";
import type { BulkIndexAction, BulkItem, Dsl, IndexedDocument, RawSearchResponse } from "./search-query-builder";

const DEFAULT_REQUEST_TIMEOUT_MS = 2_000;
const DEFAULT_WRITE_TIMEOUT_MS = 60_000;

/** Our JSON goes to the server as it is; the client's generated request types are stricter than the DSL used here. */
function asRequest<T>(value: unknown): T {
	return value as T;
}

/** The index calls on @elastic/elasticsearch 8.x (responses come as bodies; `meta: true` adds the status). */
export class ElasticsearchIndexClient implements ClusterIndexClient {
	private readonly client: Client;
	private readonly read: { requestTimeout: number };
	private readonly write: { requestTimeout: number };

	constructor(options: ClusterEngineOptions) {
		this.read = { requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS };
		this.write = { requestTimeout: options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS };
		// No retries, as on OpenSearch: the caller hears of an outage within one timeout.
		this.client = new Client({ node: options.url, requestTimeout: this.read.requestTimeout, maxRetries: 0 });
	}

	ping(): Promise<boolean> {
		return this.client.ping(undefined, this.read);
	}

	async indicesOfAlias(alias: string): Promise<string[]> {
		const response = await this.client.indices.getAlias({ name: alias }, { ...this.read, ignore: [404], meta: true });
		return response.statusCode === 404 ? [] : Object.keys(response.body ?? {});
	}

	async indicesMatching(pattern: string): Promise<string[]> {
		const response = await this.client.indices.get(
			{ index: pattern, allow_no_indices: true, ignore_unavailable: true },
			{ ...this.read, ignore: [404], meta: true },
		);
		return response.statusCode === 404 ? [] : Object.keys(response.body ?? {});
	}

	async createIndex(index: string, alias?: string): Promise<void> {
		const { settings, mappings } = searchIndexDefinition();
		await this.client.indices.create(
			asRequest({ index, settings, mappings, aliases: alias ? { [alias]: {} } : undefined, wait_for_active_shards: 1 }),
			this.write,
		);
	}

	async updateIndex(index: string): Promise<void> {
		await this.client.indices.putMapping(asRequest({ index, ...SEARCH_INDEX_MAPPINGS }), this.write);
		await this.client.indices.putSettings({ index, settings: { index: dynamicSettings() } }, this.write);
	}

	async deleteDocuments(index: string, query: Dsl, refresh: boolean): Promise<number> {
		const report = await this.client.deleteByQuery(
			asRequest({ index, query, conflicts: "proceed", refresh, wait_for_completion: true }),
			this.write,
		);
		const failures = report.failures ?? [];
		if (failures.length > 0) throw new Error(`purging ${index}: ${JSON.stringify(failures[0])}`);
		return report.deleted ?? 0;
	}

	async deleteIndices(indices: readonly string[]): Promise<void> {
		await this.client.indices.delete(
			{ index: [...indices], ignore_unavailable: true },
			{ ...this.write, ignore: [404] },
		);
	}

	async moveAlias(alias: string, from: readonly string[], to: string): Promise<void> {
		const actions = [...from.map((index) => ({ remove: { index, alias } })), { add: { index: to, alias } }];
		await this.client.indices.updateAliases({ actions }, this.write);
	}

	async bulk(lines: Array<BulkIndexAction | IndexedDocument>, refresh: Refresh): Promise<BulkItem[]> {
		const response = await this.client.bulk({ operations: lines, refresh }, this.write);
		return response.items.map((item) => asRequest<BulkItem>(Object.values(item)[0]));
	}

	async search(index: string, body: Dsl): Promise<RawSearchResponse> {
		// As `body`, not spread into the parameters: the client would send a key it does not know as a query-string parameter.
		return asRequest<RawSearchResponse>(await this.client.search(asRequest({ index, body }), this.read));
	}

	async count(index: string, query: Dsl): Promise<number> {
		const response = await this.client.count(asRequest({ index, query }), this.read);
		return response.count;
	}

	async copyDocuments(from: string, to: string, query: Dsl): Promise<void> {
		const response = await this.client.reindex(
			asRequest({
				source: { index: from, query },
				dest: { index: to, version_type: "external" },
				conflicts: "proceed",
				wait_for_completion: true,
				refresh: true,
			}),
			this.write,
		);
		const failures = response.failures ?? [];
		if (failures.length > 0) throw new Error(`copying ${from} to ${to}: ${JSON.stringify(failures[0])}`);
	}

	async refresh(indices: readonly string[]): Promise<void> {
		await this.client.indices.refresh({ index: [...indices] }, this.write);
	}

	async close(): Promise<void> {
		await this.client.close();
	}
}

/** The search engine on Elasticsearch 8.x (cluster mode). */
export class ElasticsearchEngine extends ClusterSearchEngine {
	constructor(options: ClusterEngineOptions) {
		super("elasticsearch", new ElasticsearchIndexClient(options), options);
	}
}
