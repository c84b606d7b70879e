/** fastest-validator schemas of the reviews actions. Bad input is a 400 that changes nothing. */
import { NO_CONTROL_CHARS, NO_CONTROL_CHARS_BUT_LINE_BREAKS } from "../../lib/text-patterns";

const productId = { type: "uuid" } as const;
const rating = { type: "number", integer: true, min: 1, max: 5, convert: true } as const;
/** Trimmed; a title is one line, a body may have line breaks but no other control characters. */
const title = { type: "string", trim: true, min: 1, max: 120, pattern: NO_CONTROL_CHARS } as const;
const body = { type: "string", trim: true, min: 1, max: 5000, pattern: NO_CONTROL_CHARS_BUT_LINE_BREAKS } as const;
const page = {
	limit: { type: "number", integer: true, min: 1, max: 100, default: 20, convert: true },
	offset: { type: "number", integer: true, min: 0, max: 100_000, default: 0, convert: true },
} as const;

export const createReviewParams = { $$strict: true, productId, rating, title, body } as const;

export const updateReviewParams = {
	$$strict: true,
	id: { type: "uuid" },
	rating: { ...rating, optional: true },
	title: { ...title, optional: true },
	body: { ...body, optional: true },
} as const;

export const reviewRefParams = { $$strict: "remove", id: { type: "uuid" } } as const;

export const listReviewsParams = { $$strict: "remove", productId, ...page } as const;

export const summaryParams = { $$strict: "remove", productId } as const;

export const mineParams = { $$strict: "remove", ...page } as const;

export const moderationQueueParams = {
	$$strict: "remove",
	status: { type: "enum", values: ["PENDING", "APPROVED", "REJECTED"], default: "PENDING" },
	...page,
} as const;

export const moderateParams = {
	$$strict: true,
	id: { type: "uuid" },
	decision: { type: "enum", values: ["APPROVE", "REJECT"] },
	note: { type: "string", trim: true, min: 1, max: 500, pattern: NO_CONTROL_CHARS, optional: true },
} as const;
