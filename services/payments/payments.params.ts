/** fastest-validator schemas of the payments actions. Bad input is a 400 that changes nothing. */
import { NO_CONTROL_CHARS } from "../../lib/text-patterns";

/** As orders and inventory accept them: 1..64 printable characters. */
const orderIdParam = { type: "string", min: 1, max: 64, pattern: NO_CONTROL_CHARS } as const;

/** Up to a billion in major units: larger is a typo, not an order. */
const MAX_AMOUNT_CENTS = 100_000_000_000;

export const createIntentParams = {
	$$strict: "remove",
	orderId: orderIdParam,
	amountCents: { type: "number", integer: true, min: 1, max: MAX_AMOUNT_CENTS },
	currency: { type: "string", pattern: /^[A-Z]{3}$/ },
	paymentMethod: { type: "string", min: 1, max: 64, pattern: NO_CONTROL_CHARS },
} as const;

export const paymentRefParams = { $$strict: "remove", paymentId: { type: "uuid" } } as const;

export const byOrderParams = { $$strict: "remove", orderId: orderIdParam } as const;

/** `?enabled=true|false` arrives as a string. */
export const setOutageModeParams = { $$strict: "remove", enabled: { type: "boolean", convert: true } } as const;

export const deadLettersParams = {
	$$strict: "remove",
	status: { type: "enum", values: ["OPEN", "REQUEUED", "RESOLVED"], optional: true },
	paymentId: { type: "uuid", optional: true },
	limit: { type: "number", integer: true, min: 1, max: 1000, default: 100, convert: true },
} as const;

export const deadLetterRefParams = {
	$$strict: "remove",
	id: { type: "number", integer: true, positive: true, convert: true },
} as const;
