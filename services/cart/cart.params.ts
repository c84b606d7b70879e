/** fastest-validator schemas of the cart actions. Bad input is a 400 that changes nothing. */
export const MAX_QUANTITY = 99;
export const MAX_LINES = 50;

const cartId = { type: "uuid", optional: true } as const;
const productId = { type: "uuid" } as const;

export const cartRefParams = { $$strict: true, cartId } as const;
export const addItemParams = {
	$$strict: true,
	cartId,
	productId,
	quantity: { type: "number", integer: true, min: 1, max: MAX_QUANTITY, optional: true, default: 1 },
} as const;
export const removeItemParams = { $$strict: true, cartId, productId } as const;
export const mergeParams = { $$strict: true, cartId: { type: "uuid" } } as const;
