/**
 * Catalog reads are most of a shop's traffic and change rarely: each products node keeps its answers
 * to list, get, getMany and getManyBySku in memory (Moleculer's MemoryLRU cacher, CATALOG_CACHE_MAX
 * answers for CATALOG_CACHE_TTL_S each). A write clears the writing node's cache before it answers,
 * so the writer reads its own write, and broadcasts `products.catalogChanged` so every other products
 * node clears its own within a transport hop. A node that misses the broadcast (a NATS reconnect), or
 * a read that raced the write and stored the old answer after the clear, serves it for at most the TTL.
 */
import type { BrokerOptions, Context, Service } from "moleculer";
import type { AppConfig } from "../../config";

export const CATALOG_CHANGED_EVENT = "products.catalogChanged";

/** Cache keys of the cached reads: every parameter that changes the answer. */
export const CATALOG_CACHE_KEYS = {
	list: ["page", "size", "category", "q", "minPriceCents", "maxPriceCents", "sort", "activeOnly"],
	get: ["id"],
	getMany: ["ids"],
	getManyBySku: ["skus"],
} as const;

/** The broker's cacher: only actions that ask for it (`cache: {...}`) are cached; none when the TTL is 0. */
export function catalogCacher(config: AppConfig): BrokerOptions["cacher"] {
	if (config.catalogCache.ttlS <= 0) return undefined;
	return {
		type: "MemoryLRU",
		// Answers are shared, not cloned: callers only read them (cart and order pricing, the gateway's JSON).
		// Long keys (a long search text) are hashed.
		options: { max: config.catalogCache.max, ttl: config.catalogCache.ttlS, clone: false, maxParamsLength: 256 },
	};
}

export function cachedRead(keys: readonly string[]): { keys: string[] } {
	return { keys: [...keys] };
}

/**
 * How long a search-ranked `?q=` page is reused. Shorter than the catalog's TTL: the index follows
 * the catalog's events a moment after each write, and a page cached in that moment is stale until it
 * expires. Only answers search gave are kept (a SQL fallback must say so on every answer).
 */
export const SEARCH_PAGE_TTL_S = 2;

/** The cached search-ranked page for these list parameters, if one is kept. */
export async function cachedSearchPage<T>(service: Service, params: object): Promise<T | undefined> {
	const cacher = service.broker.cacher;
	if (!cacher) return undefined;
	return ((await cacher.get(searchPageKey(params))) ?? undefined) as T | undefined;
}

export async function keepSearchPage(
	service: Service,
	params: object,
	page: unknown,
	config: AppConfig,
): Promise<void> {
	const cacher = service.broker.cacher;
	const ttlS = Math.min(SEARCH_PAGE_TTL_S, config.catalogCache.ttlS);
	if (!cacher || ttlS <= 0) return;
	await cacher.set(searchPageKey(params), page, ttlS);
}

/** Search pages this node is fetching, per products service, by cache key. */
const searchesInFlight = new WeakMap<Service, Map<string, Promise<unknown>>>();

/**
 * One search for every concurrent miss of the same page on this node. Without it a page that is not
 * kept (a cold start, each expiry) sends every shopper asking for it to search at once: on a freshly
 * started cluster 120 browsing users made ~120 concurrent engine queries for 18 words, and searches
 * waited 1-2 s (the products node's search timeout is 2 s) before the first pages were kept.
 */
export function sharedSearch<T>(service: Service, params: object, search: () => Promise<T>): Promise<T> {
	let inFlight = searchesInFlight.get(service);
	if (!inFlight) {
		inFlight = new Map();
		searchesInFlight.set(service, inFlight);
	}
	const key = searchPageKey(params);
	const pending = inFlight.get(key) as Promise<T> | undefined;
	if (pending) return pending;
	const started = search().finally(() => inFlight.delete(key));
	inFlight.set(key, started);
	return started;
}

/** Under `products.`, so a write's `clean("products.**")` drops these pages too. */
function searchPageKey(params: object): string {
	const values = CATALOG_CACHE_KEYS.list.map((key) => (params as Record<string, unknown>)[key] ?? null);
	return `products.searchPage:${JSON.stringify(values)}`;
}

/** After a write has committed: clear this node's cached reads, and tell the other products nodes. */
export async function forgetCatalog(service: Service): Promise<void> {
	if (!service.broker.cacher) return;
	await service.broker.cacher.clean("products.**");
	await service.broker.broadcast(CATALOG_CHANGED_EVENT, {}, { groups: ["products"] });
}

/** The event handler: another node's write. */
export async function onCatalogChanged(service: Service, ctx: Context): Promise<void> {
	if (ctx.nodeID === service.broker.nodeID || !service.broker.cacher) return;
	await service.broker.cacher.clean("products.**");
}
