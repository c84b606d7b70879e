/**
 * The bench's catalog and shopper queries: the generators of bench/search-engines-compare.ts (seeded, so
 * every run and every engine sees the same products and the same queries), with catalog-shaped ids. The
 * catalog validates product ids as UUIDs (`products.exportPage` takes one as `afterId`), so the SQL
 * baseline and the reindex through the service get ids the catalog itself would accept.
 */
import type { SearchDocument, SearchQuery } from "../../services/search/engines/search-engine";
import { generateCatalog, generatePrefixes, generateQueries } from "../search-engines-compare";

/** A v4-shaped UUID made from the product's position: stable across runs, sorts in position order. */
export function benchProductId(position: number): string {
	const hex = position.toString(16).padStart(12, "0");
	return `00000000-0000-4000-8000-${hex}`;
}

export function benchCatalog(size: number): SearchDocument[] {
	return generateCatalog(size).map((document, i) => ({ ...document, id: benchProductId(i) }));
}

export interface ShopperLoad {
	/** Warm-up searches first, then the measured ones. */
	warmup: SearchQuery[];
	searches: SearchQuery[];
	prefixes: string[];
}

export function shopperLoad(catalog: readonly SearchDocument[], searches: number, warmup: number): ShopperLoad {
	const queries = generateQueries(catalog, warmup + searches);
	return { warmup: queries.slice(0, warmup), searches: queries.slice(warmup), prefixes: generatePrefixes(searches) };
}

/** What the measured searches are made of, for the report ("120 words, 40 SKUs, ..."). */
export function queryMix(queries: readonly SearchQuery[]): Record<string, number> {
	const mix: Record<string, number> = {};
	for (const query of queries) {
		const kind = kindOf(query);
		mix[kind] = (mix[kind] ?? 0) + 1;
	}
	return mix;
}

function kindOf(query: SearchQuery): string {
	if (!query.q) return "browse a category";
	if (query.category || query.minPriceCents !== undefined) return "word + category + price";
	if (/\d{3,}/.test(query.q)) return "SKU";
	if (query.q.includes(" ")) return "two words";
	if (query.q.length <= 4) return "prefix (2-4 letters)";
	return "word or typo";
}
