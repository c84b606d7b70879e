/**
 * What the search service needs from an index, whatever runs it: the embedded in-process index
 * (embedded mode) or OpenSearch / Elasticsearch (cluster mode). One behaviour suite runs on every
 * engine (test/integration/search/search-engine.behaviour.ts), so the contract lives here, once.
 *
 * Versions: every document carries the catalog's `version`. A change whose version is not greater
 * than the stored one is a no-op (`stale`), deletes included: a delete keeps a tombstone with its
 * version, so a late, older upsert never resurrects a deleted product.
 *
 * Tombstone retention: a tombstone records when it was written (`deletedAt`), and `purgeTombstones`
 * removes those older than a cutoff. After the purge an older upsert of that id is applied again: a
 * late event beyond the retention is treated as new. That is the trade-off, taken on purpose: the
 * service's retention defaults to the consumer dedup retention (DEDUP_RETENTION_H), past which a
 * redelivered event would be applied again anyway.
 */

import type { ProductUpsertedPayload } from "../../../lib/events/product-topics";

/** A product as the index holds it: exactly what `product.upserted.v1` carries (public fields and version). */
export type SearchDocument = ProductUpsertedPayload;

/** An upsert replaces the whole document; a delete leaves a tombstone at `version`. */
export type IndexChange =
	| { kind: "upsert"; document: SearchDocument }
	| { kind: "delete"; id: string; version: number };

/** `applied`: the index changed; `stale`: the index already held this version or a newer one. */
export type ChangeOutcome = "applied" | "stale";

export interface PriceBucket {
	/** Inclusive lower bound in minor units. */
	fromCents: number;
	/** Exclusive upper bound; null for the last, open bucket. */
	toCents: number | null;
	count: number;
}

/** The price buckets every engine reports, in minor units: [0,1000), [1000,2500), [2500,5000), [5000,10000), [10000,∞). */
export const PRICE_BUCKET_EDGES_CENTS: readonly number[] = [0, 1_000, 2_500, 5_000, 10_000];

export interface SearchQuery {
	/** Free text, already validated (length, characters); absent or empty lists everything matching the filters. */
	q?: string;
	category?: string;
	minPriceCents?: number;
	maxPriceCents?: number;
	/** Default true: inactive products are left out. */
	activeOnly: boolean;
	/** 1-based. */
	page: number;
	size: number;
}

export interface SearchHit {
	id: string;
	sku: string;
	name: string;
	category: string;
	priceCents: number;
	currency: string;
	active: boolean;
	/** The engine's relevance score; only the order it gives is comparable across engines. */
	score: number;
}

export interface SearchPage {
	items: SearchHit[];
	total: number;
	/**
	 * Counts over every document matching the query and filters except the facet's own filter
	 * (so a shopper sees the other categories while one is selected).
	 */
	facets: {
		category: Array<{ value: string; count: number }>;
		price: PriceBucket[];
	};
}

export interface Suggestion {
	text: string;
	id: string;
	sku: string;
}

/**
 * Ranking rules every engine follows:
 * 1. an exact SKU match (case-insensitive) comes first;
 * 2. matches in the name outrank matches only in the description; a name starting with the query
 *    (phrase prefix) outranks a name containing it elsewhere;
 * 3. typos are tolerated: one edit for terms of 4-7 characters, two for 8 or more (none below 4);
 * 4. the last term of `q` also matches as a prefix (search as you type);
 * 5. with no `q`, items come by name, ascending, then id (a stable browse order); with `q`, ties by name too.
 * Tombstones and (with activeOnly) inactive products never appear, nor count in totals or facets.
 */
export interface SearchEngine {
	readonly kind: "embedded" | "opensearch" | "elasticsearch";

	/** Makes sure the live index (alias) exists with its mapping. Idempotent. */
	start(): Promise<void>;
	stop(): Promise<void>;
	/** Whether the engine answers (for /api/health). */
	ping(): Promise<boolean>;

	/** Applies the changes in order, each against its document's stored version. */
	apply(changes: readonly IndexChange[]): Promise<ChangeOutcome[]>;
	search(query: SearchQuery): Promise<SearchPage>;
	/** Up to `limit` products whose name has a word starting with `prefix` (typo-tolerant for longer prefixes). */
	autocomplete(prefix: string, limit: number): Promise<Suggestion[]>;
	/** Live documents (not tombstones), active or not. */
	count(): Promise<number>;

	/**
	 * A new, empty index built beside the live one. While it is open, `apply` writes to both, so
	 * changes during the rebuild are not lost. `commit` makes it the live index (an atomic alias
	 * switch) and drops the old one; `abort` drops it and leaves the live index serving.
	 */
	beginRebuild(): Promise<IndexRebuild>;

	/**
	 * Removes the tombstones written before `deletedBefore` (epoch ms), from the live index and an open
	 * rebuild; answers how many the live index lost. Live documents are never removed. A cluster engine
	 * forgets the purged ids' versions at its next refresh (its own delete marker, `index.gc_deletes` 0).
	 */
	purgeTombstones(deletedBefore: number): Promise<number>;
}

export interface IndexRebuild {
	/** Adds documents pulled from the catalog, version-checked like `apply`. */
	add(documents: readonly SearchDocument[]): Promise<void>;
	commit(): Promise<void>;
	abort(): Promise<void>;
}
