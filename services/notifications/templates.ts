import Mustache from "mustache";

/**
 * The messages the shop sends, one per event type: a subject and a plain-text body, as Mustache
 * templates over the event's fields (`{{orderId}}`, `{{amount}}`, ...). Values are inserted as they
 * are (plain text mail: nothing to escape); a missing value renders empty rather than failing.
 */
export interface MessageTemplate {
	name: string;
	subject: string;
	body: string;
	/** Reasons (the event's `reason`) that make no message: the shopper heard of them another way. */
	quietReasons?: readonly string[];
}

/** What a shopper reads for an order's end reason (`order.cancelled.v1`, `order.timed-out.v1`). */
export const REASON_TEXT: Record<string, string> = {
	INSUFFICIENT_STOCK: "an item ran out of stock before we could hold it for you",
	SKU_NOT_FOUND: "an item is no longer sold",
	INVALID_ORDER: "the order could not be processed",
	CANCELLED_BY_USER: "you cancelled it",
	CANCELLED_BY_OPERATOR: "our team cancelled it",
	PAYMENT_TIMEOUT: "the payment did not arrive in time",
	STOCK_TIMEOUT: "we could not hold your items in time",
};

export const TEMPLATES: Record<string, MessageTemplate> = {
	"order.created.v1": {
		name: "order-received",
		subject: "We received your order {{orderId}}",
		body: [
			"Hello,",
			"",
			"thank you for your order {{orderId}}.",
			"{{#items}}",
			"- {{quantity}} x {{label}}",
			"{{/items}}",
			"{{#amount}}Total: {{amount}}{{/amount}}",
			"",
			"We will write again once your payment has gone through.",
		].join("\n"),
	},
	"payment.authorized.v1": {
		name: "payment-authorized",
		subject: "Payment received for order {{orderId}}",
		body: [
			"Hello,",
			"",
			"your payment of {{amount}} for order {{orderId}} was authorized.",
			"Your order is being confirmed.",
		].join("\n"),
	},
	"order.confirmed.v1": {
		name: "order-confirmed",
		subject: "Your order {{orderId}} is confirmed",
		body: [
			"Hello,",
			"",
			"your order {{orderId}} is confirmed: your items are set aside and your payment is taken.",
		].join("\n"),
	},
	"order.cancelled.v1": {
		name: "order-cancelled",
		subject: "Your order {{orderId}} was cancelled",
		body: [
			"Hello,",
			"",
			"your order {{orderId}} was cancelled: {{reasonText}}.",
			"Any amount held on your payment method is released.",
		].join("\n"),
		// A failed payment ends the order too: the payment-failed mail has said so already.
		quietReasons: ["PAYMENT_DECLINED", "PAYMENT_PROVIDER_ERROR"],
	},
	"order.timed-out.v1": {
		name: "order-timed-out",
		subject: "Your order {{orderId}} was cancelled",
		body: [
			"Hello,",
			"",
			"your order {{orderId}} was cancelled: {{reasonText}}.",
			"Any amount held on your payment method is released. You are welcome to order again.",
		].join("\n"),
	},
	"payment.failed.v1": {
		name: "payment-failed",
		subject: "Payment for order {{orderId}} did not go through",
		body: [
			"Hello,",
			"",
			"the payment for your order {{orderId}} did not go through: {{message}}.",
			"Nothing was charged. You can place the order again with another payment method.",
		].join("\n"),
	},
	"review.moderated.v1": {
		name: "review-moderated",
		subject:
			"{{#approved}}Your review is published{{/approved}}{{^approved}}Your review was not published{{/approved}}",
		body: [
			"Hello,",
			"",
			"{{#approved}}",
			"thank you: your review{{#productName}} of {{productName}}{{/productName}} is now shown to other shoppers.",
			"{{/approved}}",
			"{{^approved}}",
			"your review{{#productName}} of {{productName}}{{/productName}} was not published.",
			"{{/approved}}",
			"{{#note}}",
			"Our team's note: {{note}}",
			"{{/note}}",
			"{{^approved}}",
			"You can change it and it will be looked at again.",
			"{{/approved}}",
		].join("\n"),
	},
};

/** The event types that make a message. */
export const NOTIFIED_TYPES = Object.keys(TEMPLATES);

/** `12.50 EUR` from minor units. */
export function money(amountCents: number | undefined, currency: string | undefined): string | undefined {
	if (typeof amountCents !== "number" || !Number.isFinite(amountCents)) return undefined;
	return `${(amountCents / 100).toFixed(2)}${currency ? ` ${currency}` : ""}`;
}

/** Subject and body of `template` over `view`. */
export function render(template: MessageTemplate, view: Record<string, unknown>): { subject: string; body: string } {
	const plain = { escape: (value: unknown) => String(value) };
	return {
		subject: Mustache.render(template.subject, view, undefined, plain)
			.replace(/[\r\n]+/g, " ")
			.slice(0, 200),
		body: Mustache.render(template.body, view, undefined, plain),
	};
}
