/** fastest-validator schemas of the users actions. Bad input is a 400 that changes nothing. */

import { NO_CONTROL_CHARS } from "../../lib/text-patterns";

const text = (max: number, min = 1) => ({ type: "string", trim: true, min, max, pattern: NO_CONTROL_CHARS }) as const;
const optionalText = (max: number) => ({ ...text(max), optional: true, nullable: true }) as const;

export const updateProfileParams = {
	$$strict: true,
	displayName: optionalText(100),
	/** E.164-ish: a plus, then 6..15 digits. */
	phone: { type: "string", pattern: /^\+[1-9][0-9]{5,14}$/, optional: true, nullable: true },
} as const;

/** The preferences a shopper can set; unknown keys are refused rather than stored. */
export const preferencesParams = {
	$$strict: true,
	language: { type: "string", pattern: /^[a-z]{2}(-[A-Z]{2})?$/, optional: true },
	currency: { type: "string", pattern: /^[A-Z]{3}$/, optional: true },
	marketingEmails: { type: "boolean", optional: true },
	orderUpdates: { type: "boolean", optional: true },
} as const;

const addressFields = {
	label: optionalText(40),
	recipient: text(100),
	line1: text(200),
	line2: optionalText(200),
	city: text(100),
	postalCode: text(20),
	/** ISO 3166-1 alpha-2, upper case. */
	country: { type: "string", pattern: /^[A-Z]{2}$/ },
	isDefault: { type: "boolean", optional: true },
} as const;

export const addressIdParam = { type: "uuid" } as const;

export const createAddressParams = { $$strict: true, ...addressFields } as const;
export const replaceAddressParams = { $$strict: true, id: addressIdParam, ...addressFields } as const;
export const addressRefParams = { $$strict: true, id: addressIdParam } as const;
