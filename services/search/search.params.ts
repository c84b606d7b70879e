/** fastest-validator schemas of the search actions. Bad input is a 400 that changes nothing. */
import { createProductParams, productIdParam } from "../products/products.params";
import { MAX_PREFIX_LENGTH, MAX_QUERY_LENGTH, SEARCH_TEXT } from "./search-text";

const priceCents = { type: "number", integer: true, min: 0, max: 1_000_000_000_000, convert: true, optional: true };

const text = (max: number) =>
	({
		type: "string",
		trim: true,
		min: 1,
		max,
		pattern: SEARCH_TEXT,
		messages: {
			stringPattern: "The '{field}' field may hold letters, digits, spaces and - ' . , & / + # % only",
		},
	}) as const;

export const searchProductsParams = {
	$$strict: true,
	q: { ...text(MAX_QUERY_LENGTH), optional: true },
	category: { ...createProductParams.category, optional: true },
	minPriceCents: priceCents,
	maxPriceCents: priceCents,
	activeOnly: { type: "boolean", convert: true, optional: true, default: true },
	page: { type: "number", integer: true, min: 1, max: 1_000, convert: true, optional: true, default: 1 },
	size: { type: "number", integer: true, min: 1, max: 100, convert: true, optional: true, default: 20 },
} as const;

export const autocompleteParams = {
	$$strict: true,
	q: text(MAX_PREFIX_LENGTH),
	limit: { type: "number", integer: true, min: 1, max: 20, convert: true, optional: true, default: 10 },
} as const;

/** A product as the catalog publishes it: the public fields and its version. */
const indexedProduct = {
	type: "object",
	strict: "remove",
	props: {
		id: productIdParam,
		sku: createProductParams.sku,
		name: createProductParams.name,
		description: createProductParams.description,
		category: createProductParams.category,
		priceCents: createProductParams.priceCents,
		currency: createProductParams.currency,
		active: { type: "boolean" },
		version: { type: "number", integer: true, min: 1 },
	},
} as const;

/** The body is the product; fields it does not index (`createdAt`, ...) are dropped, so a catalog product can be posted as read. */
export const indexProductParams = { $$strict: "remove", ...indexedProduct.props } as const;

/** Up to 1,000 products per call: a bulk request the engines take in one round trip. */
export const indexProductsBulkParams = {
	$$strict: true,
	products: { type: "array", items: indexedProduct, min: 1, max: 1_000 },
} as const;

export const removeFromIndexParams = {
	$$strict: true,
	productId: productIdParam,
	version: { type: "number", integer: true, min: 1, convert: true, optional: true },
} as const;

export const reindexJobParams = { $$strict: true, jobId: { type: "uuid" } } as const;
