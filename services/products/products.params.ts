/** fastest-validator schemas of the products actions. Bad input is a 400 that changes nothing. */

import { NO_CONTROL_CHARS, NO_CONTROL_CHARS_BUT_LINE_BREAKS, SKU } from "../../lib/text-patterns";

const productFields = {
	name: { type: "string", trim: true, min: 1, max: 200, pattern: NO_CONTROL_CHARS },
	description: {
		type: "string",
		trim: true,
		max: 5000,
		pattern: NO_CONTROL_CHARS_BUT_LINE_BREAKS,
		optional: true,
		default: "",
	},
	category: { type: "string", pattern: /^[a-z0-9][a-z0-9-]{0,63}$/ },
	/** Minor units (cents); at most 10^12, far beyond any price and inside a double's exact integers. */
	priceCents: { type: "number", integer: true, min: 0, max: 1_000_000_000_000 },
	currency: { type: "string", pattern: /^[A-Z]{3}$/ },
	active: { type: "boolean", optional: true, default: true },
} as const;

export const skuParam = { type: "string", min: 1, max: 64, pattern: SKU } as const;
export const productIdParam = { type: "uuid" } as const;

export const createProductParams = { $$strict: true, sku: skuParam, ...productFields } as const;
/** A product's SKU never changes: it is what stock and orders refer to. */
export const replaceProductParams = { $$strict: true, id: productIdParam, ...productFields } as const;
export const productRefParams = { $$strict: true, id: productIdParam } as const;

/** For other services (the cart): up to 100 products by id in one call. */
export const getManyParams = { ids: { type: "array", items: productIdParam, min: 1, max: 100 } } as const;

export const getManyBySkuParams = {
	skus: { type: "array", items: { type: "string", min: 1, max: 64 }, min: 1, max: 100 },
} as const;

/** For search's reindex: a keyset page of the whole catalog. */
export const exportPageParams = {
	$$strict: true,
	afterId: { ...productIdParam, optional: true },
	limit: { type: "number", integer: true, min: 1, max: 5_000 },
} as const;

/** `relevance` (the default with `q`) asks search; without `q`, or when search cannot answer, it is `newest`. */
export const SORTS = ["relevance", "newest", "price_asc", "price_desc", "name"] as const;
export type ProductSort = (typeof SORTS)[number];

/** Query string values arrive as strings: `convert` turns them into numbers and booleans. */
export const listProductsParams = {
	$$strict: true,
	page: { type: "number", integer: true, min: 1, max: 10_000, convert: true, optional: true, default: 1 },
	size: { type: "number", integer: true, min: 1, max: 100, convert: true, optional: true, default: 20 },
	category: { ...productFields.category, optional: true },
	q: { type: "string", trim: true, min: 1, max: 100, pattern: NO_CONTROL_CHARS, optional: true },
	minPriceCents: { ...productFields.priceCents, convert: true, optional: true },
	maxPriceCents: { ...productFields.priceCents, convert: true, optional: true },
	sort: { type: "enum", values: [...SORTS], optional: true },
	activeOnly: { type: "boolean", convert: true, optional: true, default: true },
} as const;
