/**
 * `GET /api/products?q=`: ranked by the search service when it answers, by SQL `LIKE` when it does not
 * (no search node, its engine down, a timeout, or a text search does not take), so the catalog's own
 * search never fails because search did. The answer says which in `X-Search-Fallback`.
 */
import type { Context } from "moleculer";
import { isSearchableText } from "../search/search-text";
import type { Product, ProductQuery } from "./products.repository";

export const SEARCH_FALLBACK_HEADER = "X-Search-Fallback";

/** Why SQL answered: `unavailable` (search did not answer) or `unsupported-query` (text search refuses). */
export type FallbackReason = "unavailable" | "unsupported-query";

/** Short: a shopper waits for it, and SQL can still answer in time after it. */
const SEARCH_CALL_TIMEOUT_MS = 2_000;

interface SearchAnswer {
	items: Array<{ id: string }>;
	total: number;
}

export function markFallback(ctx: Context, reason: FallbackReason): void {
	const meta = ctx.meta as { $responseHeaders?: Record<string, string> };
	meta.$responseHeaders = { ...meta.$responseHeaders, [SEARCH_FALLBACK_HEADER]: reason };
}

/**
 * The page from search, as full catalog products in search's order; a product search still has but
 * the catalog just deleted is left out. `reason` when search cannot answer.
 */
export async function searchFirst(
	ctx: Context,
	query: ProductQuery & { q: string },
	load: (ids: string[]) => Promise<Product[]>,
): Promise<{ items: Product[]; total: number } | { reason: FallbackReason; error?: Error }> {
	if (!isSearchableText(query.q)) return { reason: "unsupported-query" };
	let answer: SearchAnswer;
	try {
		answer = await ctx.call<SearchAnswer, object>(
			"search.products",
			{
				q: query.q,
				page: query.page,
				size: query.size,
				activeOnly: query.activeOnly,
				...(query.category === undefined ? {} : { category: query.category }),
				...(query.minPriceCents === undefined ? {} : { minPriceCents: query.minPriceCents }),
				...(query.maxPriceCents === undefined ? {} : { maxPriceCents: query.maxPriceCents }),
			},
			{ timeout: SEARCH_CALL_TIMEOUT_MS, retries: 0 },
		);
	} catch (err) {
		return { reason: "unavailable", error: err as Error };
	}
	const ids = answer.items.map((item) => item.id);
	const byId = new Map((await load(ids)).map((p) => [p.id, p]));
	const items = ids.map((id) => byId.get(id)).filter((p): p is Product => p !== undefined);
	return { items, total: answer.total };
}
