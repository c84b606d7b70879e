import {
	PRICE_BUCKET_EDGES_CENTS,
	type PriceBucket,
	type SearchDocument,
	type SearchHit,
	type SearchPage,
	type SearchQuery,
} from "../search-engine";
import { byName, type IndexedProduct, type ProductIndex } from "./product-index";
import { searchTerms } from "./query-terms";
import { tokenize } from "./text-analysis";
import { topRanked } from "./top-ranked";

/**
 * Rule tiers, best first: the exact SKU, a name starting with the query, every term in the name,
 * some term in the name, the description only. Within a tier, fewer edits first, then the library's
 * score, then the name.
 */
enum Tier {
	ExactSku = 0,
	NamePhrasePrefix = 1,
	AllTermsInName = 2,
	SomeTermsInName = 3,
	DescriptionOnly = 4,
}
const TIER_COUNT = 5;
const TIER_SCORE_STEP = 1_000_000;
/** Above any BM25 score of a shop's query (tens at most), below a tier. */
const EDIT_SCORE_STEP = 1_000;

interface Candidate {
	product: IndexedProduct;
	tier: Tier;
	/** Edits the match needed: "kettleb" wants "kettlebell" (a prefix) before "kettle" (an edit). */
	edits: number;
	score: number;
}

export function runSearch(index: ProductIndex, query: SearchQuery): SearchPage {
	const tokens = tokenize(query.q ?? "");
	const from = (query.page - 1) * query.size;
	if (tokens.length === 0) {
		// The browse order is kept sorted: the page is a slice of what passes the filters.
		const { kept, facets } = filterAndCount(index.browseOrder(), (product) => product.document, query);
		const page = kept.slice(from, from + query.size);
		return { items: page.map((product) => toHit(product.document, 0)), total: kept.length, facets };
	}
	const candidates = textCandidates(index, query.q ?? "", tokens);
	const { kept, facets } = filterAndCount(candidates, (candidate) => candidate.product.document, query);
	const page = topRanked(kept, from + query.size, byRank).slice(from);
	return {
		items: page.map((candidate) => toHit(candidate.product.document, rankScore(candidate))),
		total: kept.length,
		facets,
	};
}

function textCandidates(index: ProductIndex, q: string, tokens: readonly string[]): Candidate[] {
	const terms = searchTerms(tokens);
	const bySku = new Map(index.withSku(q).map((product) => [product.document.id, product]));
	const candidates: Candidate[] = [];
	for (const match of index.text.search(terms, ["name", "description"])) {
		const product = index.get(match.id);
		if (!product) continue;
		let tier: Tier;
		if (bySku.delete(match.id)) tier = Tier.ExactSku;
		else if (startsWithPhrase(product.nameTerms, tokens)) tier = Tier.NamePhrasePrefix;
		else if (match.termsInName === terms.length) tier = Tier.AllTermsInName;
		else if (match.termsInName > 0) tier = Tier.SomeTermsInName;
		else tier = Tier.DescriptionOnly;
		candidates.push({ product, tier, edits: match.typoEdits, score: match.score });
	}
	for (const product of bySku.values()) candidates.push({ product, tier: Tier.ExactSku, edits: 0, score: 0 });
	return candidates;
}

/** The name's words begin with the query's, the last query word as a prefix. */
export function startsWithPhrase(nameTerms: readonly string[], tokens: readonly string[]): boolean {
	if (nameTerms.length < tokens.length) return false;
	const last = tokens.length - 1;
	for (let i = 0; i < last; i++) if (nameTerms[i] !== tokens[i]) return false;
	return (nameTerms[last] as string).startsWith(tokens[last] as string);
}

/**
 * One pass: the page's candidates pass every filter; each facet counts the candidates passing every
 * filter but its own.
 */
function filterAndCount<T>(
	candidates: readonly T[],
	documentOf: (candidate: T) => SearchDocument,
	query: SearchQuery,
): { kept: T[]; facets: SearchPage["facets"] } {
	const kept: T[] = [];
	const categoryCounts = new Map<string, number>();
	const priceCounts = new Array<number>(PRICE_BUCKET_EDGES_CENTS.length).fill(0);
	const { category, minPriceCents, maxPriceCents } = query;
	for (const candidate of candidates) {
		const document = documentOf(candidate);
		if (query.activeOnly && !document.active) continue;
		const inCategory = category === undefined || document.category === category;
		const inPrice =
			(minPriceCents === undefined || document.priceCents >= minPriceCents) &&
			(maxPriceCents === undefined || document.priceCents <= maxPriceCents);
		if (inPrice) categoryCounts.set(document.category, (categoryCounts.get(document.category) ?? 0) + 1);
		if (inCategory) {
			const bucket = priceBucketOf(document.priceCents);
			if (bucket >= 0) priceCounts[bucket] = (priceCounts[bucket] as number) + 1;
		}
		if (inCategory && inPrice) kept.push(candidate);
	}
	return {
		kept,
		facets: {
			category: [...categoryCounts]
				.map(([value, count]) => ({ value, count }))
				.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)),
			price: priceCounts.map(
				(count, i): PriceBucket => ({
					fromCents: PRICE_BUCKET_EDGES_CENTS[i] as number,
					toCents: PRICE_BUCKET_EDGES_CENTS[i + 1] ?? null,
					count,
				}),
			),
		},
	};
}

/** The index of the bucket holding `cents`, or -1 below the first edge. */
function priceBucketOf(cents: number): number {
	for (let i = PRICE_BUCKET_EDGES_CENTS.length - 1; i >= 0; i--) {
		if (cents >= (PRICE_BUCKET_EDGES_CENTS[i] as number)) return i;
	}
	return -1;
}

function byRank(a: Candidate, b: Candidate): number {
	return a.tier - b.tier || a.edits - b.edits || b.score - a.score || byName(a.product, b.product);
}

/** A better tier always scores higher, so the score falls with the order. */
function rankScore(candidate: Candidate): number {
	const tier = (TIER_COUNT - candidate.tier) * TIER_SCORE_STEP;
	return tier - Math.min(candidate.edits, 100) * EDIT_SCORE_STEP + Math.min(candidate.score, EDIT_SCORE_STEP - 1);
}

/** Without text every score is 0: the order is the browse order. */
function toHit(document: SearchDocument, score: number): SearchHit {
	const { id, sku, name, category, priceCents, currency, active } = document;
	return { id, sku, name, category, priceCents, currency, active, score };
}
