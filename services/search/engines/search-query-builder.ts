/**
 * Request bodies for OpenSearch and Elasticsearch, and readers of their answers: pure functions, shared by
 * both engines (their query DSL is the same for everything used here), so the ranking rules of
 * search-engine.ts are written once and unit-tested without a server.
 *
 * Ranking: every clause that decides a rank is a constant-score tier, far apart, so a rule holds whatever
 * the BM25 statistics of the catalog are; BM25 (name weighted over description) only orders products
 * within a tier. Tiers add up: a name starting with the query also contains it and matches all its terms.
 */
import {
	type ChangeOutcome,
	type IndexChange,
	PRICE_BUCKET_EDGES_CENTS,
	type PriceBucket,
	type SearchDocument,
	type SearchHit,
	type SearchPage,
	type SearchQuery,
	type Suggestion,
} from "./search-engine";
import { INDEX_FIELDS as F } from "./search-index-mapping";

/** A piece of query DSL: plain JSON, typed loosely because the two clients type it differently. */
export type Dsl = Record<string, unknown>;

/** One edit for terms of 4-7 characters, two from 8, none below 4 (rule 3). */
export const TYPO_FUZZINESS = "AUTO:4,8";

/**
 * Score tiers. BM25 for one term stays below ~30 (idf ≤ ~12 at a million documents, times k1 + 1),
 * times the name weight 3: a query would need dozens of rare terms before BM25 bridged a tier gap.
 */
export const RANK_TIERS = {
	exactSku: 100_000,
	nameStartsWithQuery: 4_000,
	namePhrasePrefix: 2_000,
	allTermsInName: 1_000,
} as const;
const NAME_WEIGHT = 3;
const DESCRIPTION_WEIGHT = 1;

/**
 * The servers' default `index.max_result_window`: a request reaching past it is refused (400). Pages
 * beyond it come back empty, with their total and facets, like any page past the last.
 */
export const MAX_RESULT_WINDOW = 10_000;

/** Category buckets reported at most; a shop's category list is far shorter. */
const MAX_CATEGORY_FACETS = 200;

/** Fields a hit shows; the description stays on the server. */
const HIT_SOURCE_FIELDS = [F.id, F.sku, F.name, F.category, F.priceCents, "currency", F.active];

/** Lowercase and strip accents, as the index's `lowercase` + `asciifolding` filters do for most letters. */
export function foldForIndex(text: string): string {
	return text
		.normalize("NFD")
		.replace(/\p{M}+/gu, "")
		.toLowerCase();
}

/** The words of `text` as the standard tokenizer would cut them (letters and digits), folded. */
export function queryTerms(text: string): string[] {
	return foldForIndex(text)
		.split(/[^\p{L}\p{N}]+/u)
		.filter((term) => term.length > 0);
}

const NOT_DELETED: Dsl = { term: { [F.deleted]: false } };
const ACTIVE: Dsl = { term: { [F.active]: true } };

/** Live documents only (tombstones never count). */
export function liveDocumentsQuery(): Dsl {
	return { bool: { filter: [NOT_DELETED] } };
}

export function tombstonesQuery(): Dsl {
	return { bool: { filter: [{ term: { [F.deleted]: true } }] } };
}

/** Tombstones written before `deletedBefore` (epoch ms); one without `deletedAt` (written before it existed) never matches. */
export function tombstonesBeforeQuery(deletedBefore: number): Dsl {
	return { bool: { filter: [{ term: { [F.deleted]: true } }, { range: { [F.deletedAt]: { lt: deletedBefore } } }] } };
}

function constantScore(filter: Dsl, boost: number): Dsl {
	return { constant_score: { filter, boost } };
}

/** One word of `q`: found (typos allowed) in the given fields; the last word also as a prefix (rule 4). */
function termMatches(term: string, isLast: boolean, fields: { name: boolean; description: boolean }): Dsl {
	const should: Dsl[] = [];
	if (fields.name) {
		should.push({ match: { [F.name]: { query: term, fuzziness: TYPO_FUZZINESS, boost: NAME_WEIGHT } } });
		if (isLast) should.push({ match: { [F.namePrefix]: { query: term, boost: NAME_WEIGHT } } });
	}
	if (fields.description) {
		should.push({ match: { [F.description]: { query: term, fuzziness: TYPO_FUZZINESS, boost: DESCRIPTION_WEIGHT } } });
		if (isLast) should.push({ prefix: { [F.description]: { value: term, boost: DESCRIPTION_WEIGHT } } });
	}
	return { bool: { should, minimum_should_match: 1 } };
}

function everyTerm(terms: readonly string[], fields: { name: boolean; description: boolean }): Dsl {
	return { bool: { must: terms.map((term, i) => termMatches(term, i === terms.length - 1, fields)) } };
}

/**
 * What decides whether a product matches `q` and how it ranks: its exact SKU, or every word of `q` in
 * the name or the description (each word in either); then the tier bonuses.
 */
export function textQuery(q: string): { must: Dsl; should: Dsl[] } {
	const trimmed = q.trim();
	const terms = queryTerms(trimmed);
	const folded = terms.join(" ");
	// The normalizer on sku.exact folds the value at search time too; the tier makes it outrank any text.
	const exactSku = constantScore({ term: { [F.skuExact]: trimmed } }, RANK_TIERS.exactSku);
	if (terms.length === 0) return { must: exactSku, should: [] };
	const matchesText = everyTerm(terms, { name: true, description: true });
	return {
		must: { bool: { should: [exactSku, matchesText], minimum_should_match: 1 } },
		should: [
			constantScore(everyTerm(terms, { name: true, description: false }), RANK_TIERS.allTermsInName),
			constantScore({ match_phrase_prefix: { [F.name]: { query: folded } } }, RANK_TIERS.namePhrasePrefix),
			constantScore({ prefix: { [F.nameSort]: { value: folded } } }, RANK_TIERS.nameStartsWithQuery),
		],
	};
}

function categoryFilter(query: SearchQuery): Dsl | undefined {
	return query.category === undefined ? undefined : { term: { [F.category]: query.category } };
}

function priceFilter(query: SearchQuery): Dsl | undefined {
	const range: Dsl = {};
	if (query.minPriceCents !== undefined) range.gte = query.minPriceCents;
	if (query.maxPriceCents !== undefined) range.lte = query.maxPriceCents;
	return Object.keys(range).length === 0 ? undefined : { range: { [F.priceCents]: range } };
}

function allOf(filters: Array<Dsl | undefined>): Dsl {
	const present = filters.filter((f): f is Dsl => f !== undefined);
	return present.length === 0 ? { match_all: {} } : { bool: { filter: present } };
}

/** The browse order (rule 5); with `q` it breaks score ties. `id` keeps it stable among equal names. */
const BY_NAME_THEN_ID: Dsl[] = [{ [F.nameSort]: { order: "asc", missing: "_last" } }, { [F.id]: { order: "asc" } }];

/**
 * A search page. The query holds what every count shares (text, not deleted, active); the category and
 * price filters go to `post_filter` for the hits and to each facet except their own, so a facet counts
 * as if its own filter were not set.
 */
export function buildSearchRequest(query: SearchQuery): Dsl {
	const base: Dsl[] = [NOT_DELETED];
	if (query.activeOnly) base.push(ACTIVE);
	const text = query.q !== undefined && query.q.trim() !== "" ? textQuery(query.q) : undefined;
	const category = categoryFilter(query);
	const price = priceFilter(query);
	const from = Math.min((Math.max(1, query.page) - 1) * query.size, MAX_RESULT_WINDOW);
	const request: Dsl = {
		from,
		size: Math.max(0, Math.min(query.size, MAX_RESULT_WINDOW - from)),
		track_total_hits: true,
		_source: HIT_SOURCE_FIELDS,
		query: {
			bool: text ? { filter: base, must: [text.must], should: text.should } : { filter: base },
		},
		sort: text ? [{ _score: { order: "desc" } }, ...BY_NAME_THEN_ID] : BY_NAME_THEN_ID,
		aggs: {
			category_facet: {
				filter: allOf([price]),
				aggs: {
					values: {
						terms: {
							field: F.category,
							size: MAX_CATEGORY_FACETS,
							order: [{ _count: "desc" }, { _key: "asc" }],
						},
					},
				},
			},
			price_facet: {
				filter: allOf([category]),
				aggs: { buckets: { range: { field: F.priceCents, ranges: priceRanges() } } },
			},
		},
	};
	if (category || price) request.post_filter = allOf([category, price]);
	return request;
}

function priceRanges(): Dsl[] {
	return PRICE_BUCKET_EDGES_CENTS.map((from, i) => {
		const to = PRICE_BUCKET_EDGES_CENTS[i + 1];
		return to === undefined ? { from } : { from, to };
	});
}

/**
 * Names whose words start with the typed words: every word as a prefix of a name word, with typos for
 * longer ones; exact prefixes and names starting with the text rank first. Tombstones and inactive
 * products are never suggested (a suggestion leads a shopper to the product).
 */
export function buildAutocompleteRequest(prefix: string, limit: number): Dsl {
	const terms = queryTerms(prefix);
	const folded = terms.join(" ");
	return {
		size: limit,
		_source: [F.id, F.sku, F.name],
		query: {
			bool: {
				filter: [NOT_DELETED, ACTIVE],
				must: terms.map((term) => ({ match: { [F.namePrefix]: { query: term, fuzziness: TYPO_FUZZINESS } } })),
				should: [
					constantScore({ match: { [F.namePrefix]: { query: folded, operator: "and" } } }, RANK_TIERS.allTermsInName),
					constantScore({ prefix: { [F.nameSort]: { value: folded } } }, RANK_TIERS.nameStartsWithQuery),
				],
			},
		},
		sort: [{ _score: { order: "desc" } }, ...BY_NAME_THEN_ID],
	};
}

/** What the engine stores for a change: the document, or its tombstone. */
export type IndexedDocument =
	| (SearchDocument & { deleted: false })
	| { id: string; version: number; deleted: true; deletedAt: number };

export function indexedDocument(change: IndexChange, now = Date.now()): IndexedDocument {
	return change.kind === "upsert"
		? { ...change.document, deleted: false }
		: { id: change.id, version: change.version, deleted: true, deletedAt: now };
}

export interface BulkIndexAction {
	index: { _index: string; _id: string; version: number; version_type: "external" };
}

/**
 * Bulk lines writing each change to `index` with the catalog version as an external version: the
 * engine refuses (409) any version not greater than the stored one, tombstones included.
 */
export function bulkOperations(
	changes: readonly IndexChange[],
	index: string,
	now = Date.now(),
): Array<BulkIndexAction | IndexedDocument> {
	const lines: Array<BulkIndexAction | IndexedDocument> = [];
	for (const change of changes) {
		const doc = indexedDocument(change, now);
		lines.push({ index: { _index: index, _id: doc.id, version: doc.version, version_type: "external" } }, doc);
	}
	return lines;
}

/** One item of a bulk answer, as both engines report it. */
export interface BulkItem {
	status: number;
	_id?: string | null;
	error?: { type?: string; reason?: string | null } | null;
}

/** `applied` or `stale`; any other failure is an error the caller must not hide. */
export function bulkItemOutcome(item: BulkItem): ChangeOutcome | { error: string } {
	if (item.status >= 200 && item.status < 300) return "applied";
	if (item.status === 409 && item.error?.type === "version_conflict_engine_exception") return "stale";
	const what = item.error ? `${item.error.type ?? "error"}: ${item.error.reason ?? ""}` : `status ${item.status}`;
	return { error: `document ${item._id ?? "(no id)"} was not written (${what})` };
}

/** The answer of a search request, reduced to the parts read here. */
export interface RawSearchResponse {
	hits: {
		total?: number | { value: number } | null;
		hits: Array<{ _id?: string | null; _score?: number | null; _source?: unknown }>;
	};
	aggregations?: Record<string, unknown>;
}

interface TermsBucket {
	key: string | number;
	doc_count: number;
}

function totalOf(total: RawSearchResponse["hits"]["total"]): number {
	if (total === undefined || total === null) return 0;
	return typeof total === "number" ? total : total.value;
}

function source(hit: { _source?: unknown }): Record<string, unknown> {
	return (hit._source ?? {}) as Record<string, unknown>;
}

function toSearchHit(hit: RawSearchResponse["hits"]["hits"][number]): SearchHit {
	const s = source(hit);
	return {
		id: String(s.id ?? hit._id),
		sku: String(s.sku),
		name: String(s.name),
		category: String(s.category),
		priceCents: Number(s.priceCents),
		currency: String(s.currency),
		active: s.active === true,
		// Sorted without `q`, the engine computes no score: 0 says "no relevance" to the caller.
		score: typeof hit._score === "number" ? hit._score : 0,
	};
}

function aggregation(response: RawSearchResponse, ...path: string[]): Record<string, unknown> | undefined {
	let node: unknown = response.aggregations;
	for (const key of path) node = (node as Record<string, unknown> | undefined)?.[key];
	return node as Record<string, unknown> | undefined;
}

export function readSearchPage(response: RawSearchResponse): SearchPage {
	const categoryBuckets = (aggregation(response, "category_facet", "values")?.buckets ?? []) as TermsBucket[];
	const priceBuckets = (aggregation(response, "price_facet", "buckets")?.buckets ?? []) as Array<{ doc_count: number }>;
	const price: PriceBucket[] = PRICE_BUCKET_EDGES_CENTS.map((fromCents, i) => ({
		fromCents,
		toCents: PRICE_BUCKET_EDGES_CENTS[i + 1] ?? null,
		count: priceBuckets[i]?.doc_count ?? 0,
	}));
	return {
		items: response.hits.hits.map(toSearchHit),
		total: totalOf(response.hits.total),
		facets: {
			category: categoryBuckets.map((b) => ({ value: String(b.key), count: b.doc_count })),
			price,
		},
	};
}

export function readSuggestions(response: RawSearchResponse): Suggestion[] {
	return response.hits.hits.map((hit) => {
		const s = source(hit);
		return { text: String(s.name), id: String(s.id ?? hit._id), sku: String(s.sku) };
	});
}
