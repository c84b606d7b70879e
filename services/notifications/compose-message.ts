import type {
	OrderCreatedPayload,
	OrderRefPayload,
	PaymentAuthorizedPayload,
	PaymentFailedPayload,
} from "../../lib/events/checkout-topics";
import { TOPIC } from "../../lib/events/checkout-topics";
import type { EventEnvelope } from "../../lib/events/event-envelope";
import { REVIEW_TOPIC, type ReviewModeratedPayload } from "../../lib/events/review-topics";
import type { NewNotification } from "./notifications.repository";
import { money, REASON_TEXT, render, TEMPLATES } from "./templates";

/** What composing a message reads from other services (through actions: their tables are theirs). */
export interface Recipients {
	/** The user an order belongs to, or null when nobody knows the order. */
	userOfOrder(orderId: string): Promise<string | null>;
	/** The user's address, or null for an unknown user. */
	emailOf(userId: string): Promise<string | null>;
	/** False when the user turned order updates off. */
	wantsOrderUpdates(userId: string): Promise<boolean>;
}

type Payload = Partial<OrderCreatedPayload & PaymentAuthorizedPayload & PaymentFailedPayload & OrderRefPayload>;

/** The fields a template may use, from the event's payload. */
function viewOf(type: string, payload: Payload): Record<string, unknown> {
	if (type === REVIEW_TOPIC.moderated) {
		const review = payload as unknown as Partial<ReviewModeratedPayload>;
		return { approved: review.status === "APPROVED", productName: review.productName, note: review.note };
	}
	if (type === TOPIC.orderCreated) {
		const items = (payload.items ?? []).map((line) => ({
			quantity: line.quantity,
			label: "name" in line && typeof line.name === "string" ? line.name : line.sku,
		}));
		return { orderId: payload.orderId, items, amount: money(payload.amountCents, payload.currency) };
	}
	return {
		orderId: payload.orderId,
		amount: money(payload.amountCents, payload.currency),
		reasonText: REASON_TEXT[payload.reason ?? ""] ?? "it could not be completed",
		// The template ends the sentence itself.
		message: (payload.message ?? payload.reason)?.replace(/[.\s]+$/, ""),
	};
}

/** The event makes no message on purpose: its template is quiet for the event's reason. */
export const QUIET = "quiet";

/**
 * The message an event makes, addressed: `PENDING` to send, or `SKIPPED` with the reason as its `lastError`
 * when the shopper turned order updates off or has no address. `QUIET` when the template says nothing for
 * the event's reason. Null when an order event names no order, or the user is unknown (nothing to address it to).
 */
export async function composeMessage(
	envelope: EventEnvelope,
	recipients: Recipients,
): Promise<NewNotification | typeof QUIET | null> {
	const template = TEMPLATES[envelope.type];
	const payload = (envelope.payload ?? {}) as Payload;
	// A review's decision is the answer to its author's own request, not an order update: no preference asked.
	const aboutReview = envelope.type === REVIEW_TOPIC.moderated;
	const orderId = typeof payload.orderId === "string" ? payload.orderId : null;
	if (!template || (!aboutReview && orderId === null)) return null;
	if (payload.reason && template.quietReasons?.includes(payload.reason)) return QUIET;
	const userId =
		typeof payload.userId === "string" && payload.userId !== ""
			? payload.userId
			: orderId === null
				? null
				: await recipients.userOfOrder(orderId);
	if (!userId) return null;
	const [email, wanted] = await Promise.all([
		recipients.emailOf(userId),
		aboutReview || recipients.wantsOrderUpdates(userId),
	]);
	const { subject, body } = render(template, viewOf(envelope.type, payload));
	const skipReason = !wanted ? "order updates turned off" : email === null ? "no address on file" : undefined;
	return {
		sourceEventId: envelope.eventId,
		sourceType: envelope.type,
		template: template.name,
		orderId,
		userId,
		recipient: email,
		subject,
		body,
		status: skipReason ? "SKIPPED" : "PENDING",
		lastError: skipReason ?? null,
		correlationId: envelope.correlationId ?? null,
	};
}
