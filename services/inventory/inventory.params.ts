/** fastest-validator schemas of the inventory actions. Bad input is a 400 that changes nothing. */

import { SKU } from "../../lib/text-patterns";

/** No control characters (they would corrupt logs and ids) and no ':' (reservation ids are `orderId:sku`), 1..64 characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const ORDER_ID = /^[^\u0000-\u001f\u007f:]{1,64}$/;

export const skuParam = { type: "string", min: 1, max: 64, pattern: SKU } as const;
export const orderIdParam = { type: "string", min: 1, max: 64, pattern: ORDER_ID } as const;
const MAX_STOCK = 1_000_000_000;

export function reserveParams(maxQuantityPerOrder: number) {
	return {
		$$strict: "remove",
		orderId: orderIdParam,
		sku: skuParam,
		quantity: { type: "number", integer: true, positive: true, max: maxQuantityPerOrder },
	} as const;
}

export const reservationRefParams = { $$strict: "remove", orderId: orderIdParam, sku: skuParam } as const;

export const setStockParams = {
	$$strict: "remove",
	sku: skuParam,
	available: { type: "number", integer: true, min: 0, max: MAX_STOCK, optional: true },
	delta: { type: "number", integer: true, min: -MAX_STOCK, max: MAX_STOCK, optional: true },
} as const;

export const getStockParams = { sku: skuParam } as const;

export const expireParams = {
	sku: skuParam,
	reservationIds: { type: "array", items: { type: "string", min: 1, max: 130 }, min: 1, max: 10_000 },
} as const;

/** Items are checked one by one against reserveParams, so one bad item fails alone. */
export const reserveBatchParams = {
	sku: skuParam,
	items: { type: "array", min: 1, max: 10_000, items: { type: "object" } },
} as const;
