import { ADMIN_ROLE } from "./admin-routes";

/*
 * The one route table: every public path of the edge and the action it calls. Actions declare no `rest:`
 * of their own; the gateway's routes and the OpenAPI document (services/gateway/openapi/) both read these.
 */

/** `/api/auth`: public (signup, login, refresh), and the caller's own token (logout, validate). */
export const AUTH_ALIASES: Record<string, string> = {
	"POST /signup": "auth.signup",
	"POST /login": "auth.login",
	"POST /refresh": "auth.refresh",
	"POST /logout": "auth.logout",
	"POST /password": "auth.changePassword",
	"GET /validate": "auth.whoami",
	// OpenID Connect login: a 302 to the provider, and its redirect back (answers the token pair).
	"GET /oidc/login": "auth.oidcLogin",
	"GET /oidc/callback": "auth.oidcCallback",
};

/** `/api/users`: the caller's own profile, preferences and addresses; every call needs an access token. */
export const USERS_ALIASES: Record<string, string> = {
	"GET /me": "users.me",
	"PUT /me": "users.updateProfile",
	"PUT /me/preferences": "users.updatePreferences",
	"GET /me/addresses": "users.addresses",
	"POST /me/addresses": "users.addAddress",
	"PUT /me/addresses/:id": "users.replaceAddress",
	"DELETE /me/addresses/:id": "users.removeAddress",
};

/** `/api/products`: reads are public, writes an operator's (ROLE_BY_ACTION). */
export const PRODUCTS_ALIASES: Record<string, string> = {
	"GET /": "products.list",
	"GET /:id": "products.get",
	"POST /": "products.create",
	"PUT /:id": "products.replace",
	"DELETE /:id": "products.remove",
};

/** `/api/search`: searches are public (the reference's route policy); the index's upkeep is an operator's. */
export const SEARCH_ALIASES: Record<string, string> = {
	"GET /products": "search.products",
	"GET /autocomplete": "search.autocomplete",
	"POST /index/products": "search.indexProduct",
	"POST /index/products/bulk": "search.indexProducts",
	"DELETE /index/products/:productId": "search.removeFromIndex",
	"POST /reindex/products": "search.reindex",
	"GET /reindex/:jobId": "search.reindexStatus",
	"GET /admin/relevance/evaluate": "search.evaluateRelevance",
	"GET /admin/relevance/dataset/health": "search.datasetHealth",
};

/** `/api/cart`: a guest's cart (by `cartId`) without a token, the caller's own with one. */
export const CART_ALIASES: Record<string, string> = {
	"GET /": "cart.get",
	"POST /items": "cart.addItem",
	"DELETE /items/:productId": "cart.removeItem",
	"DELETE /": "cart.clear",
	"POST /merge": "cart.merge",
};

/** `/api/inventory`: every call needs an access token. */
export const INVENTORY_ALIASES: Record<string, string> = {
	"POST /stock": "inventory.setStock",
	"GET /stock/:sku": "inventory.getStock",
	"POST /reserve": "inventory.reserve",
	"POST /release": "inventory.release",
	"POST /confirm": "inventory.confirm",
};

/** Actions behind a token that also need a role: setting stock is an operator's (restock, correction). */
const ROLE_BY_ACTION: Record<string, string> = {
	"inventory.setStock": ADMIN_ROLE,
	"products.create": ADMIN_ROLE,
	"products.replace": ADMIN_ROLE,
	"products.remove": ADMIN_ROLE,
	"orders.confirm": ADMIN_ROLE,
	"orders.runTimeouts": ADMIN_ROLE,
	"orders.replayFailedOutbox": ADMIN_ROLE,
	"payments.outageMode": ADMIN_ROLE,
	"payments.setOutageMode": ADMIN_ROLE,
	"payments.deadLetters": ADMIN_ROLE,
	"payments.requeueDeadLetter": ADMIN_ROLE,
	"search.indexProduct": ADMIN_ROLE,
	"search.indexProducts": ADMIN_ROLE,
	"search.removeFromIndex": ADMIN_ROLE,
	"search.reindex": ADMIN_ROLE,
	"search.reindexStatus": ADMIN_ROLE,
	"search.evaluateRelevance": ADMIN_ROLE,
	"search.datasetHealth": ADMIN_ROLE,
	"reviews.moderationQueue": ADMIN_ROLE,
	"reviews.moderate": ADMIN_ROLE,
	"notifications.failed": ADMIN_ROLE,
	"notifications.retryFailed": ADMIN_ROLE,
	"notifications.deadLetters": ADMIN_ROLE,
	"notifications.requeueDeadLetter": ADMIN_ROLE,
};

export function roleNeededFor(action: string | undefined): string | undefined {
	return action === undefined ? undefined : ROLE_BY_ACTION[action];
}

/** `/api/orders`: every call needs an access token; the admin ones the admin role (ROLE_BY_ACTION). */
export const ORDERS_ALIASES: Record<string, string> = {
	"POST /": "orders.create",
	"GET /": "orders.list",
	"GET /:orderId": "orders.get",
	"POST /:orderId/cancel": "orders.cancel",
	"POST /:orderId/confirm": "orders.confirm",
	"POST /admin/saga/timeouts/run": "orders.runTimeouts",
	"POST /admin/outbox/replay-failed": "orders.replayFailedOutbox",
};

/** `/api/payments`: a token for every call; the provider's operations the admin role. */
export const PAYMENTS_ALIASES: Record<string, string> = {
	"POST /intents": "payments.createIntent",
	"GET /provider/outage-mode": "payments.outageMode",
	"POST /provider/outage-mode": "payments.setOutageMode",
	"GET /provider/dead-letters": "payments.deadLetters",
	"POST /provider/dead-letters/:id/requeue": "payments.requeueDeadLetter",
	"GET /:paymentId": "payments.get",
};

/**
 * `/api/reviews`: a product's approved reviews and rating summary are public; writing, changing and
 * removing one's own review needs a token (the actions ask for it); moderation the admin role.
 * The fixed paths come before `/:id`.
 */
export const REVIEWS_ALIASES: Record<string, string> = {
	"GET /": "reviews.list",
	"GET /summary/:productId": "reviews.summary",
	"GET /mine": "reviews.mine",
	"GET /moderation": "reviews.moderationQueue",
	"POST /": "reviews.create",
	"GET /:id": "reviews.get",
	"PUT /:id": "reviews.update",
	"DELETE /:id": "reviews.remove",
	"POST /:id/moderate": "reviews.moderate",
};

/**
 * `/api/notifications`: a token for every call; a shopper reads their own messages, operators anyone's
 * (`?userId=`), the failed ones and the dead letters.
 */
export const NOTIFICATIONS_ALIASES: Record<string, string> = {
	"GET /": "notifications.list",
	"GET /failed": "notifications.failed",
	"POST /retry-failed": "notifications.retryFailed",
	"GET /dead-letters": "notifications.deadLetters",
	"POST /dead-letters/:id/requeue": "notifications.requeueDeadLetter",
};

/** `/api/payments/webhook`: the provider's calls, public; the action checks their signature. */
export const PAYMENTS_WEBHOOK_ALIASES: Record<string, string> = {
	"POST /": "payments.webhook",
};
