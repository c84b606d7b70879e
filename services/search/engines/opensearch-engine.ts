/**
 * The cluster-mode search engine on OpenSearch. The engine's logic (alias, external versions, tombstones,
 * rebuild) is written once in ClusterSearchEngine against the few index calls it needs
 * (ClusterIndexClient); this file also holds those calls for the OpenSearch client, and
 * elasticsearch-engine.ts holds them for the Elasticsearch client.
 *
 * Layout: `<prefix>` is an alias to one index `<prefix>-<timestamp>`. A rebuild creates the next index,
 * fills it, then moves the alias in one `_aliases` call and drops the old index.
 */
import { randomBytes } from "node:crypto";
import { Client } from "@opensearch-project/opensearch";
import type {
	ChangeOutcome,
	IndexChange,
	IndexRebuild,
	SearchDocument,
	SearchEngine,
	SearchPage,
	SearchQuery,
	Suggestion,
} from "./search-engine";
import { dynamicSettings, SEARCH_INDEX_MAPPINGS, searchIndexDefinition } from "./search-index-mapping";
import {
	type BulkIndexAction,
	type BulkItem,
	buildAutocompleteRequest,
	buildSearchRequest,
	bulkItemOutcome,
	bulkOperations,
	type Dsl,
	type IndexedDocument,
	liveDocumentsQuery,
	queryTerms,
	type RawSearchResponse,
	readSearchPage,
	readSuggestions,
	tombstonesBeforeQuery,
	tombstonesQuery,
} from "./search-query-builder";

export interface ClusterEngineOptions {
	url: string;
	/** The alias name; its indexes are `<indexPrefix>-<timestamp>`. */
	indexPrefix: string;
	/** Passed to bulk writes: true or "wait_for" make a write visible to the next search (tests). */
	refresh?: boolean | "wait_for";
	/** Searches, counts, pings: an engine that does not answer fails within this (default 2 s). */
	requestTimeoutMs?: number;
	/** Bulk writes, index creation, copies between indexes (default 60 s). */
	writeTimeoutMs?: number;
}

export type Refresh = boolean | "wait_for";

/** The index calls a cluster engine makes; one implementation per client library. */
export interface ClusterIndexClient {
	ping(): Promise<boolean>;
	/** The indexes behind `alias`; empty when there is no such alias. */
	indicesOfAlias(alias: string): Promise<string[]>;
	/** Index names matching a wildcard pattern; empty when none. */
	indicesMatching(pattern: string): Promise<string[]>;
	/** Creates `index` with the product mapping, optionally as `alias` in the same request. */
	createIndex(index: string, alias?: string): Promise<void>;
	/**
	 * Brings an existing index (or the one behind an alias) up to the current mapping and dynamic settings.
	 * Adding a field is allowed on a live index; changing one is refused (that needs a rebuild).
	 */
	updateIndex(index: string): Promise<void>;
	/** Deletes the documents matching `query`, skipping any changed meanwhile; answers how many went. */
	deleteDocuments(index: string, query: Dsl, refresh: boolean): Promise<number>;
	/** Deletes the named indexes; missing ones are not an error. */
	deleteIndices(indices: readonly string[]): Promise<void>;
	/** Points `alias` at `to` instead of `from`, in one atomic `_aliases` call. */
	moveAlias(alias: string, from: readonly string[], to: string): Promise<void>;
	bulk(lines: Array<BulkIndexAction | IndexedDocument>, refresh: Refresh): Promise<BulkItem[]>;
	search(index: string, body: Dsl): Promise<RawSearchResponse>;
	count(index: string, query: Dsl): Promise<number>;
	/** Copies the documents matching `query`, keeping their versions as external versions. */
	copyDocuments(from: string, to: string, query: Dsl): Promise<void>;
	refresh(indices: readonly string[]): Promise<void>;
	close(): Promise<void>;
}

/** What the search service sees when the engine fails: one message, no client internals. */
export class SearchEngineError extends Error {
	override readonly name = "SearchEngineError";
	constructor(
		readonly engine: string,
		readonly operation: string,
		detail: string,
		/** The HTTP status the engine answered with, when it answered at all. */
		readonly statusCode?: number,
	) {
		super(`${engine} ${operation} failed: ${detail}`);
	}
}

interface ClientErrorShape {
	name?: string;
	message?: string;
	statusCode?: number;
	body?: unknown;
	meta?: { statusCode?: number; body?: unknown };
}

interface ErrorBody {
	error?: string | { type?: string; reason?: string; root_cause?: Array<{ type?: string; reason?: string }> };
}

/**
 * A one-line account of an error of either client (both throw ResponseError with the server's error
 * body, ConnectionError, TimeoutError...), without the request, headers or the rest of the client state.
 */
export function describeClientError(error: unknown): { detail: string; statusCode?: number } {
	if (!(error instanceof Error)) return { detail: String(error) };
	const e = error as Error & ClientErrorShape;
	const statusCode = e.meta?.statusCode ?? e.statusCode;
	const body = (e.meta?.body ?? e.body) as ErrorBody | undefined;
	if (typeof statusCode === "number" && statusCode > 0) {
		const err = body?.error;
		if (typeof err === "string") return { detail: `HTTP ${statusCode}: ${err}`, statusCode };
		const cause = err?.root_cause?.[0] ?? err;
		const what = cause ? `${cause.type ?? "error"}: ${cause.reason ?? ""}` : (e.message ?? "");
		return { detail: `HTTP ${statusCode} ${what}`.trim(), statusCode };
	}
	return { detail: `${e.name}: ${e.message}` };
}

/** Documents per bulk request: ~1-2 MB for catalog products, well under the 100 MB request limit. */
const BULK_CHUNK = 2_000;

function chunks<T>(items: readonly T[], size: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
	return out;
}

interface OpenRebuild {
	index: string;
	closed: boolean;
}

/** The SearchEngine contract over any ClusterIndexClient. */
export class ClusterSearchEngine implements SearchEngine {
	private rebuild: OpenRebuild | undefined;
	private lastStamp = 0;

	constructor(
		readonly kind: "opensearch" | "elasticsearch",
		private readonly client: ClusterIndexClient,
		private readonly options: ClusterEngineOptions,
	) {}

	private get engineName(): string {
		return this.kind === "opensearch" ? "OpenSearch" : "Elasticsearch";
	}

	/** The alias searches and writes go to. */
	get alias(): string {
		return this.options.indexPrefix;
	}

	/** Runs one client call; any failure leaves as a SearchEngineError naming the operation. */
	private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
		try {
			return await run();
		} catch (error) {
			if (error instanceof SearchEngineError) throw error;
			const { detail, statusCode } = describeClientError(error);
			throw new SearchEngineError(this.engineName, operation, detail, statusCode);
		}
	}

	/**
	 * A fresh index name, increasing per node: the time orders generations; the random tail keeps two
	 * nodes that create one in the same millisecond (an empty cluster's first start) apart.
	 */
	private nextIndexName(): string {
		this.lastStamp = Math.max(Date.now(), this.lastStamp + 1);
		return `${this.options.indexPrefix}-${this.lastStamp}-${randomBytes(3).toString("hex")}`;
	}

	async start(): Promise<void> {
		const existing = await this.call("start", () => this.client.indicesOfAlias(this.alias));
		if (existing.length > 0) {
			// An index created by an older release lacks newer fields (deletedAt); the strict mapping would refuse them.
			await this.call("start", () => this.client.updateIndex(this.alias));
			return;
		}
		await this.call("start", () => this.client.createIndex(this.nextIndexName(), this.alias));
		// Two nodes starting on an empty cluster can each create a generation under the alias. Writes to an
		// alias over two indexes fail, so every node keeps the oldest and drops the rest (same choice everywhere).
		const targets = (await this.call("start", () => this.client.indicesOfAlias(this.alias))).sort();
		if (targets.length > 1) await this.call("start", () => this.client.deleteIndices(targets.slice(1)));
	}

	async stop(): Promise<void> {
		await this.client.close().catch(() => undefined);
	}

	ping(): Promise<boolean> {
		return this.client.ping().catch(() => false);
	}

	async apply(changes: readonly IndexChange[]): Promise<ChangeOutcome[]> {
		const outcomes: ChangeOutcome[] = [];
		for (const chunk of chunks(changes, BULK_CHUNK)) outcomes.push(...(await this.applyChunk(chunk)));
		return outcomes;
	}

	/**
	 * One bulk request: the changes against the live index, then (during a rebuild) the same changes
	 * against the new one. Within one shard a bulk request runs in order, so two changes of one product in
	 * one call are checked against each other. A change counts as applied if it changed either index.
	 */
	private async applyChunk(changes: readonly IndexChange[]): Promise<ChangeOutcome[]> {
		const rebuild = this.rebuild;
		const lines = bulkOperations(changes, this.alias);
		if (rebuild) lines.push(...bulkOperations(changes, rebuild.index));
		const items = await this.call("apply", () => this.client.bulk(lines, this.options.refresh ?? false));
		const outcomes = this.outcomesOf(items, "apply");
		return changes.map((_, i) =>
			outcomes[i] === "applied" || (rebuild && outcomes[i + changes.length] === "applied") ? "applied" : "stale",
		);
	}

	private outcomesOf(items: readonly BulkItem[], operation: string): ChangeOutcome[] {
		return items.map((item) => {
			const outcome = bulkItemOutcome(item);
			if (typeof outcome === "string") return outcome;
			throw new SearchEngineError(this.engineName, operation, outcome.error, item.status);
		});
	}

	async search(query: SearchQuery): Promise<SearchPage> {
		const response = await this.call("search", () => this.client.search(this.alias, buildSearchRequest(query)));
		return readSearchPage(response);
	}

	async autocomplete(prefix: string, limit: number): Promise<Suggestion[]> {
		if (limit <= 0 || queryTerms(prefix).length === 0) return [];
		const request = buildAutocompleteRequest(prefix, limit);
		const response = await this.call("autocomplete", () => this.client.search(this.alias, request));
		return readSuggestions(response);
	}

	count(): Promise<number> {
		return this.call("count", () => this.client.count(this.alias, liveDocumentsQuery()));
	}

	/**
	 * The new index starts with the live index's tombstones: the catalog pull brings no deleted products,
	 * and without them a late, older upsert of a deleted product would come back after the switch.
	 */
	async beginRebuild(): Promise<IndexRebuild> {
		if (this.rebuild) throw new Error(`${this.engineName}: a rebuild of ${this.alias} is already open`);
		const rebuild: OpenRebuild = { index: this.nextIndexName(), closed: false };
		await this.call("beginRebuild", () => this.client.createIndex(rebuild.index));
		this.rebuild = rebuild;
		try {
			await this.call("beginRebuild", () => this.client.copyDocuments(this.alias, rebuild.index, tombstonesQuery()));
		} catch (error) {
			await this.closeRebuild(rebuild, [rebuild.index]).catch(() => undefined);
			throw error;
		}
		return {
			add: (documents) => this.addToRebuild(rebuild, documents),
			commit: () => this.commitRebuild(rebuild),
			abort: () => this.closeRebuild(rebuild, [rebuild.index]),
		};
	}

	private assertOpen(rebuild: OpenRebuild): void {
		if (rebuild.closed) throw new Error(`${this.engineName}: the rebuild into ${rebuild.index} is closed`);
	}

	private async addToRebuild(rebuild: OpenRebuild, documents: readonly SearchDocument[]): Promise<void> {
		this.assertOpen(rebuild);
		for (const chunk of chunks(documents, BULK_CHUNK)) {
			const changes = chunk.map((document): IndexChange => ({ kind: "upsert", document }));
			const items = await this.call("rebuild", () => this.client.bulk(bulkOperations(changes, rebuild.index), false));
			this.outcomesOf(items, "rebuild");
		}
	}

	private async commitRebuild(rebuild: OpenRebuild): Promise<void> {
		this.assertOpen(rebuild);
		// Searchable from the first request after the switch, not a refresh interval later.
		await this.call("commit", () => this.client.refresh([rebuild.index]));
		const old = await this.call("commit", () => this.client.indicesOfAlias(this.alias));
		await this.call("commit", () => this.client.moveAlias(this.alias, old, rebuild.index));
		await this.closeRebuild(
			rebuild,
			old.filter((index) => index !== rebuild.index),
		);
	}

	private async closeRebuild(rebuild: OpenRebuild, drop: readonly string[]): Promise<void> {
		this.assertOpen(rebuild);
		rebuild.closed = true;
		if (this.rebuild === rebuild) this.rebuild = undefined;
		if (drop.length > 0) await this.call("rebuild cleanup", () => this.client.deleteIndices(drop));
	}

	/** On the live index and an open rebuild; a purged tombstone's older upserts apply again (see the contract). */
	async purgeTombstones(deletedBefore: number): Promise<number> {
		const query = tombstonesBeforeQuery(deletedBefore);
		const refresh = (this.options.refresh ?? false) !== false;
		const rebuild = this.rebuild;
		const purged = await this.call("purge", () => this.client.deleteDocuments(this.alias, query, refresh));
		if (rebuild && !rebuild.closed) {
			await this.call("purge", () => this.client.deleteDocuments(rebuild.index, query, refresh));
		}
		return purged;
	}

	/** Makes every write so far visible to searches (tests and benches; production relies on the refresh interval). */
	async refresh(): Promise<void> {
		const indices = [this.alias, ...(this.rebuild ? [this.rebuild.index] : [])];
		await this.call("refresh", () => this.client.refresh(indices));
	}

	/** Deletes every index under this prefix (tests and benches). */
	async dropAllIndexes(): Promise<void> {
		const indices = await this.call("drop", () => this.client.indicesMatching(`${this.options.indexPrefix}-*`));
		if (indices.length > 0) await this.call("drop", () => this.client.deleteIndices(indices));
		this.rebuild = undefined;
	}
}

const DEFAULT_REQUEST_TIMEOUT_MS = 2_000;
const DEFAULT_WRITE_TIMEOUT_MS = 60_000;

/** Both clients take our JSON as it is; their generated request types are stricter than the DSL used here. */
function asRequest<T>(value: unknown): T {
	return value as T;
}

/** The index calls on @opensearch-project/opensearch 3.x (responses come as `{ body, statusCode }`). */
export class OpenSearchIndexClient implements ClusterIndexClient {
	private readonly client: Client;
	private readonly readTimeout: number;
	private readonly writeTimeout: number;

	constructor(options: ClusterEngineOptions) {
		this.readTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
		this.writeTimeout = options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
		// No retries: with one node a retry only doubles the wait before the caller hears of an outage; the
		// service's callers retry (a repeated write is harmless, its external version makes it stale).
		this.client = new Client({ node: options.url, requestTimeout: this.readTimeout, maxRetries: 0 });
	}

	async ping(): Promise<boolean> {
		const response = await this.client.ping({}, { requestTimeout: this.readTimeout });
		return response.statusCode === 200;
	}

	async indicesOfAlias(alias: string): Promise<string[]> {
		const response = await this.client.indices.getAlias(
			{ name: alias },
			{ ignore: [404], requestTimeout: this.readTimeout },
		);
		return response.statusCode === 404 ? [] : Object.keys(response.body ?? {});
	}

	async indicesMatching(pattern: string): Promise<string[]> {
		const response = await this.client.indices.get(
			{ index: pattern, allow_no_indices: true, ignore_unavailable: true },
			{ ignore: [404], requestTimeout: this.readTimeout },
		);
		return response.statusCode === 404 ? [] : Object.keys(response.body ?? {});
	}

	async createIndex(index: string, alias?: string): Promise<void> {
		const body = { ...searchIndexDefinition(), ...(alias ? { aliases: { [alias]: {} } } : {}) };
		await this.client.indices.create(
			{ index, body: asRequest(body), wait_for_active_shards: 1 },
			{ requestTimeout: this.writeTimeout },
		);
	}

	async updateIndex(index: string): Promise<void> {
		const options = { requestTimeout: this.writeTimeout };
		await this.client.indices.putMapping({ index, body: asRequest(SEARCH_INDEX_MAPPINGS) }, options);
		await this.client.indices.putSettings({ index, body: { index: dynamicSettings() } }, options);
	}

	async deleteDocuments(index: string, query: Dsl, refresh: boolean): Promise<number> {
		const response = await this.client.deleteByQuery(
			{ index, body: asRequest({ query }), conflicts: "proceed", refresh, wait_for_completion: true },
			{ requestTimeout: this.writeTimeout },
		);
		const report = asRequest<{ deleted?: number; failures?: unknown[] }>(response.body);
		if ((report.failures ?? []).length > 0)
			throw new Error(`purging ${index}: ${JSON.stringify(report.failures?.[0])}`);
		return report.deleted ?? 0;
	}

	async deleteIndices(indices: readonly string[]): Promise<void> {
		await this.client.indices.delete(
			{ index: [...indices], ignore_unavailable: true },
			{ ignore: [404], requestTimeout: this.writeTimeout },
		);
	}

	async moveAlias(alias: string, from: readonly string[], to: string): Promise<void> {
		const actions = [...from.map((index) => ({ remove: { index, alias } })), { add: { index: to, alias } }];
		await this.client.indices.updateAliases({ body: { actions } }, { requestTimeout: this.writeTimeout });
	}

	async bulk(lines: Array<BulkIndexAction | IndexedDocument>, refresh: Refresh): Promise<BulkItem[]> {
		const response = await this.client.bulk({ body: lines, refresh }, { requestTimeout: this.writeTimeout });
		return response.body.items.map((item) => asRequest<BulkItem>(Object.values(item)[0]));
	}

	async search(index: string, body: Dsl): Promise<RawSearchResponse> {
		const response = await this.client.search({ index, body: asRequest(body) }, { requestTimeout: this.readTimeout });
		return asRequest<RawSearchResponse>(response.body);
	}

	async count(index: string, query: Dsl): Promise<number> {
		const response = await this.client.count(
			{ index, body: asRequest({ query }) },
			{ requestTimeout: this.readTimeout },
		);
		return response.body.count;
	}

	async copyDocuments(from: string, to: string, query: Dsl): Promise<void> {
		const response = await this.client.reindex(
			{
				body: asRequest({
					source: { index: from, query },
					dest: { index: to, version_type: "external" },
					conflicts: "proceed",
				}),
				wait_for_completion: true,
				refresh: true,
			},
			{ requestTimeout: this.writeTimeout },
		);
		// With wait_for_completion the answer is the report (the generated type also allows a task id).
		const failures = asRequest<{ failures?: unknown[] }>(response.body).failures ?? [];
		if (failures.length > 0) throw new Error(`copying ${from} to ${to}: ${JSON.stringify(failures[0])}`);
	}

	async refresh(indices: readonly string[]): Promise<void> {
		await this.client.indices.refresh({ index: [...indices] }, { requestTimeout: this.writeTimeout });
	}

	async close(): Promise<void> {
		await this.client.close();
	}
}

/** The search engine on OpenSearch 2.x (cluster mode). */
export class OpenSearchEngine extends ClusterSearchEngine {
	constructor(options: ClusterEngineOptions) {
		super("opensearch", new OpenSearchIndexClient(options), options);
	}
}
