import { NO_CONTROL_CHARS } from "../../lib/text-patterns";
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from "./payment-status";
import { InvalidWebhookPayloadError } from "./payments.errors";

/** A provider's webhook body, as the sandbox sends it (Razorpay-like). */
export interface WebhookBody {
	/** The provider's event id (`evt_<uuid>`): a redelivery carries the same one. */
	id: string;
	event: WebhookEventType;
	intentId: string;
	/** Our payment id, as given to createIntent. */
	reference: string;
	amountCents: number;
	currency: string;
	/** Why (on `payment.failed`), in the provider's words. */
	reason?: string;
	createdAt: string;
}

function text(body: Record<string, unknown>, field: string, max: number): string {
	const value = body[field];
	if (typeof value !== "string" || value.length === 0 || value.length > max || !NO_CONTROL_CHARS.test(value)) {
		throw new InvalidWebhookPayloadError(`'${field}' must be a string of 1 to ${max} printable characters`);
	}
	return value;
}

/** The body's fields, checked; 400 `INVALID_WEBHOOK_PAYLOAD` when it is not JSON or a field is missing or wrong. */
export function parseWebhookBody(rawBody: string): WebhookBody {
	let parsed: unknown;
	try {
		parsed = JSON.parse(rawBody);
	} catch {
		throw new InvalidWebhookPayloadError("body is not JSON");
	}
	if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
		throw new InvalidWebhookPayloadError("body is not a JSON object");
	}
	const body = parsed as Record<string, unknown>;
	const event = body.event;
	if (typeof event !== "string" || !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(event)) {
		throw new InvalidWebhookPayloadError(`'event' must be one of ${WEBHOOK_EVENT_TYPES.join(", ")}`);
	}
	const amountCents = body.amountCents;
	if (typeof amountCents !== "number" || !Number.isSafeInteger(amountCents) || amountCents < 0) {
		throw new InvalidWebhookPayloadError("'amountCents' must be a non-negative integer");
	}
	const reason = body.reason === undefined || body.reason === null ? undefined : text(body, "reason", 200);
	return {
		id: text(body, "id", 128),
		event: event as WebhookEventType,
		intentId: text(body, "intentId", 64),
		reference: text(body, "reference", 64),
		amountCents,
		currency: text(body, "currency", 3),
		...(reason === undefined ? {} : { reason }),
		createdAt: text(body, "createdAt", 64),
	};
}
