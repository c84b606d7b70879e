/**
 * What the actions' handlers decide about HTTP that their `params` do not say: the success statuses
 * they set (setReplyStatus / replyCreated), the client errors their services raise, who they require
 * a caller for though their route lets anonymous requests in, and the headers the gateway copies into
 * their meta. Read from the handlers and the services' *.errors.ts; Schemathesis (test/e2e/schemathesis.spec.ts)
 * fails when an answer's status is missing here.
 */
import { IDEMPOTENCY_KEY } from "../../orders/orders.params";

/** Success statuses other than a plain 200, by action. */
export const SUCCESS_STATUSES: Record<string, readonly number[]> = {
	"auth.signup": [201],
	"auth.logout": [204],
	// To the OpenID provider's login page (Location).
	"auth.oidcLogin": [302],
	"cart.clear": [204],
	"products.create": [201],
	"products.remove": [204],
	"users.addAddress": [201],
	"users.removeAddress": [204],
	"search.reindex": [202],
	// 200: the same Idempotency-Key / order answered again.
	"orders.create": [201, 200],
	"payments.createIntent": [201, 200],
	"reviews.create": [201],
	"reviews.remove": [204],
	// 503: the same body, while the node starts or a dependency is down.
	"api.health": [200, 503],
};

/** The 4xx/5xx each service's own errors carry (its *.errors.ts), beside those every route can answer. */
export const ERROR_STATUSES_BY_SERVICE: Record<string, readonly number[]> = {
	// 429: failed logins limited per account and client address (LoginThrottle). 403, 404: OpenID login
	// (an unverified email; not configured); its 502 (the provider failed) has no Error502 response yet.
	auth: [401, 403, 404, 409, 429, 502],
	users: [404, 409],
	products: [404, 409],
	cart: [404, 409],
	inventory: [404, 409, 429, 503],
	orders: [404, 409],
	payments: [401, 404, 409],
	search: [404, 409, 503],
	notifications: [403, 404, 409],
	// 404: also the catalog's PRODUCT_NOT_FOUND when the reviewed product does not exist.
	reviews: [404, 409],
	events: [404, 409],
	api: [],
};

/** Actions on routes open to anonymous callers that answer 401 without a token (requireCallerOf). */
export const CALLER_REQUIRED_BY_ACTION: ReadonlySet<string> = new Set([
	"auth.logout",
	"auth.changePassword",
	"auth.whoami",
	"cart.merge",
	"reviews.create",
	"reviews.get",
	"reviews.update",
	"reviews.remove",
	"reviews.mine",
]);

export interface HeaderParameter {
	name: string;
	description: string;
	schema: Record<string, unknown>;
}

/** Request headers the gateway hands to an action (the routes' `meta`). */
export const HEADERS_BY_ACTION: Record<string, readonly HeaderParameter[]> = {
	"orders.create": [
		{
			name: "Idempotency-Key",
			description: "A retry with the same key and body answers the same order (200); another body with it is a 409.",
			schema: { type: "string", pattern: IDEMPOTENCY_KEY.source },
		},
	],
	"payments.webhook": [
		{
			name: "X-Razorpay-Signature",
			description: "HMAC-SHA256 (hex) of the body's exact bytes with the webhook secret; 401 without a valid one.",
			schema: { type: "string", maxLength: 256 },
		},
	],
};

/** Actions whose body is taken as raw bytes (a signed webhook): any JSON, checked by the action. */
export const RAW_BODY_DESCRIPTION = "The provider's event, exactly as signed.";
