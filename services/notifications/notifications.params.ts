/** fastest-validator schemas of the notifications actions. Bad input is a 400 that changes nothing. */
import { NO_CONTROL_CHARS } from "../../lib/text-patterns";

const limit = { type: "number", integer: true, min: 1, max: 1000, default: 100, convert: true } as const;

/** `?userId=` names whose messages (an operator's choice; a shopper sees only their own). */
export const listParams = {
	$$strict: "remove",
	userId: { type: "string", min: 1, max: 64, pattern: NO_CONTROL_CHARS, optional: true },
	limit,
} as const;

export const listByStatusParams = { $$strict: "remove", limit } as const;

export const notificationRefParams = {
	$$strict: "remove",
	id: { type: "number", integer: true, positive: true, convert: true },
} as const;
