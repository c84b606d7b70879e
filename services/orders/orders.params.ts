import { NO_CONTROL_CHARS, SKU } from "../../lib/text-patterns";

/** Lines an order may have (inventory holds at most as many per order). */
export const MAX_ORDER_LINES = 100;

const skuParam = { type: "string", min: 1, max: 64, pattern: SKU } as const;
const uuidParam = { type: "uuid" } as const;

/**
 * `POST /api/orders`: `items` or `fromCart: true` (not both). `maxQuantity` is inventory's per-order
 * maximum of one SKU. Unknown fields are dropped.
 */
export function createOrderParams(maxQuantity: number) {
	return {
		$$strict: "remove",
		items: {
			type: "array",
			optional: true,
			min: 1,
			max: MAX_ORDER_LINES,
			items: {
				type: "object",
				strict: "remove",
				props: { sku: skuParam, quantity: { type: "number", integer: true, positive: true, max: maxQuantity } },
			},
		},
		fromCart: { type: "boolean", optional: true },
		paymentMethod: { type: "string", min: 1, max: 64, pattern: NO_CONTROL_CHARS },
		shippingAddressId: { type: "string", optional: true, min: 1, max: 36, pattern: NO_CONTROL_CHARS },
	} as const;
}

export const orderRefParams = { $$strict: "remove", orderId: uuidParam } as const;

/** Query string values arrive as strings: `convert` turns them into numbers. */
export const listOrdersParams = {
	$$strict: "remove",
	page: { type: "number", integer: true, min: 1, max: 100_000, default: 1, convert: true },
	size: { type: "number", integer: true, min: 1, max: 100, default: 20, convert: true },
	userId: { type: "string", optional: true, min: 1, max: 64, pattern: NO_CONTROL_CHARS },
} as const;

/** What a client may send as `Idempotency-Key`: printable, at most 128 characters. */
export const IDEMPOTENCY_KEY = /^[\u0021-\u007e]{1,128}$/;
