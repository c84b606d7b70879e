/**
 * The product index as OpenSearch and Elasticsearch hold it: one definition for both engines, so a query
 * built by search-query-builder.ts finds the same fields, analysed the same way, on either.
 */

/** Field names the query builder relies on; kept here so a rename breaks the compiler, not the ranking. */
export const INDEX_FIELDS = {
	id: "id",
	sku: "sku",
	/** The SKU lowercased and folded: an exact, case-insensitive match. */
	skuExact: "sku.exact",
	name: "name",
	/** Edge n-grams of each word of the name: prefixes (search as you type, autocomplete). */
	namePrefix: "name.prefix",
	/** The whole name lowercased and folded: the browse order, and "the name starts with the query". */
	nameSort: "name.sort",
	description: "description",
	category: "category",
	priceCents: "priceCents",
	active: "active",
	version: "version",
	deleted: "deleted",
	deletedAt: "deletedAt",
} as const;

const TEXT_ANALYZER = "shop_text";
const PREFIX_ANALYZER = "shop_prefix";
const FOLDING_NORMALIZER = "shop_folding";

/**
 * Longest word prefix indexed. Longer typed words still match: past 20 characters the fuzzy match on
 * the whole word takes over.
 */
const MAX_PREFIX_CHARS = 20;

/**
 * Settings an existing index takes too (start brings the live index up to date). `gc_deletes` 0: the only
 * deletes are tombstone purges, and the server's own delete marker would otherwise keep fencing a purged
 * id's older versions for 60 s; at 0 it goes at the next refresh.
 */
export function dynamicSettings(): { gc_deletes: string } {
	return { gc_deletes: "0s" };
}

export const SEARCH_INDEX_SETTINGS = {
	// One shard: a catalog of up to a few hundred thousand products fits one easily, and a single shard
	// scores every document against the same term statistics (no per-shard IDF drift between pages).
	number_of_shards: 1,
	// Zero replicas locally; a real cluster raises this after creation with the index settings API.
	number_of_replicas: 0,
	...dynamicSettings(),
	analysis: {
		filter: {
			shop_word_prefixes: { type: "edge_ngram", min_gram: 1, max_gram: MAX_PREFIX_CHARS },
		},
		analyzer: {
			[TEXT_ANALYZER]: { type: "custom", tokenizer: "standard", filter: ["lowercase", "asciifolding"] },
			[PREFIX_ANALYZER]: {
				type: "custom",
				tokenizer: "standard",
				filter: ["lowercase", "asciifolding", "shop_word_prefixes"],
			},
		},
		normalizer: {
			[FOLDING_NORMALIZER]: { type: "custom", filter: ["lowercase", "asciifolding"] },
		},
	},
} as const;

export const SEARCH_INDEX_MAPPINGS = {
	// A field nobody declared is a bug in the indexer: reject the document instead of guessing a type.
	dynamic: "strict",
	properties: {
		id: { type: "keyword" },
		sku: {
			type: "keyword",
			fields: { exact: { type: "keyword", normalizer: FOLDING_NORMALIZER } },
		},
		name: {
			type: "text",
			analyzer: TEXT_ANALYZER,
			fields: {
				// Indexed as prefixes, searched as whole words: "sh" finds "Shirt" without a prefix query.
				prefix: { type: "text", analyzer: PREFIX_ANALYZER, search_analyzer: TEXT_ANALYZER },
				sort: { type: "keyword", normalizer: FOLDING_NORMALIZER, ignore_above: 512 },
			},
		},
		description: { type: "text", analyzer: TEXT_ANALYZER },
		// Every search aggregates on it (the category facet): build its global ordinals at refresh, not per search.
		category: { type: "keyword", eager_global_ordinals: true },
		priceCents: { type: "long" },
		// Shown, never searched or filtered on.
		currency: { type: "keyword", index: false },
		active: { type: "boolean" },
		version: { type: "long" },
		/** A tombstone: the product was deleted at `version`; kept so an older upsert stays stale. */
		deleted: { type: "boolean" },
		/** When the tombstone was written (epoch ms): tombstones past the retention are purged. */
		deletedAt: { type: "long" },
	},
} as const;

/** The body of a create-index request for one generation of the product index. */
export function searchIndexDefinition(): {
	settings: typeof SEARCH_INDEX_SETTINGS;
	mappings: typeof SEARCH_INDEX_MAPPINGS;
} {
	return { settings: SEARCH_INDEX_SETTINGS, mappings: SEARCH_INDEX_MAPPINGS };
}
