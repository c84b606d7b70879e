/**
 * Browse: anonymous shoppers page through the catalog, filter a category, search a word and open a
 * product they saw. Reads only; the reference's budget is p95 < 180 ms with under 2 % failures.
 */
import { CATEGORIES, type CatalogProduct, ensureCatalog, SEARCH_WORDS } from "../catalog";
import type { Flow } from "../flow";
import { VERSION_HEADER } from "../shop-api";
import type { Suite, SuiteContext } from "../suite";

interface Visitor {
	seen: CatalogProduct[];
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

export function browseFlow(vus: number, rate: number | null, catalog: CatalogProduct[]): Flow<Visitor> {
	const get = (path: string) => ({ method: "GET" as const, path, headers: VERSION_HEADER });
	return {
		name: "browse",
		vus,
		rate,
		newUser: () => ({ seen: catalog }),
		steps: [
			{
				name: "list",
				expect: [200],
				request: () => get(`/api/products?page=${1 + Math.floor(Math.random() * 5)}&size=20`),
				answer(visitor, status, body) {
					const items = status === 200 ? (JSON.parse(body) as { items: CatalogProduct[] }).items : [];
					if (items.length) visitor.seen = items;
					return undefined;
				},
			},
			{ name: "category", expect: [200], request: () => get(`/api/products?category=${pick(CATEGORIES)}&size=20`) },
			{ name: "search", expect: [200], request: () => get(`/api/products?q=${pick(SEARCH_WORDS)}`) },
			{ name: "product", expect: [200], request: (visitor) => get(`/api/products/${pick(visitor.seen).id}`) },
		],
	};
}

export const browse: Suite = {
	name: "browse",
	description: "catalog pages, categories, search and product pages; p95 < 180 ms, failures < 2 %",
	defaults: { vus: 200, rate: null, durationS: 60, requests: null },
	async prepare(context: SuiteContext) {
		const catalog = await ensureCatalog(context.api, context.operator);
		return {
			flows: [browseFlow(context.vus, context.rate, catalog) as Flow<unknown>],
			settings: { catalogProducts: catalog.length },
			check: async () => [],
		};
	},
};
