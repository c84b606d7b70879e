/**
 * Every deployable service, by the name used in SERVICES. A node loads the ones it is told to
 * (all of them when SERVICES is empty).
 */
export const SERVICE_MODULES: Record<string, string> = {
	gateway: "./gateway/api.service",
	auth: "./auth/auth.service",
	users: "./users/users.service",
	products: "./products/products.service",
	cart: "./cart/cart.service",
	inventory: "./inventory/inventory.service",
	orders: "./orders/orders.service",
	payments: "./payments/payments.service",
	notifications: "./notifications/notifications.service",
	reviews: "./reviews/reviews.service",
	search: "./search/search.service",
	events: "./events/events.service",
};

export const ALL_SERVICES = Object.keys(SERVICE_MODULES);
