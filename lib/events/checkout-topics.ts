/**
 * The checkout saga's topics and payloads: the contract between orders, payments, inventory and cart.
 * Every event is keyed by its order id, so one order's events stay in order on Kafka.
 *
 * Orders is the coordinator: it alone decides an order's end, and publishes exactly one of
 * `order.confirmed.v1`, `order.cancelled.v1`, `order.timed-out.v1` per order. Inventory turns its
 * hold into a sale on `order.confirmed.v1` (not on the payment: a cancel can still win after payment)
 * and gives the stock back on the other two; payments captures on the first and voids on the others.
 */
export const TOPIC = {
	orderCreated: "order.created.v1",
	orderConfirmed: "order.confirmed.v1",
	orderTimedOut: "order.timed-out.v1",
	orderCancelled: "order.cancelled.v1",
	paymentAuthorized: "payment.authorized.v1",
	paymentFailed: "payment.failed.v1",
	paymentRefunded: "payment.refunded.v1",
	inventoryReserved: "inventory.reserved.v1",
	inventoryReservationFailed: "inventory.reservation.failed.v1",
} as const;

export interface OrderLine {
	sku: string;
	quantity: number;
}

/** An order line as priced by the catalog at order time. */
export interface PricedOrderLine extends OrderLine {
	productId: string;
	name: string;
	unitPriceCents: number;
	currency: string;
}

/**
 * `order.created.v1`: an order waits for its stock (inventory) and its payment (payments). Inventory
 * reads `orderId` and `items[].sku/quantity`; payments reads the amount, currency and method.
 */
export interface OrderCreatedPayload {
	orderId: string;
	userId?: string;
	items: OrderLine[] | PricedOrderLine[];
	/** What to charge, in minor units of `currency` (one currency per order). */
	amountCents?: number;
	currency?: string;
	/** The payment method the shopper chose (`sandbox_authorize`, ...). */
	paymentMethod?: string;
}

/** `order.confirmed.v1`: stock held and payment authorized; the order is a sale. */
export interface OrderConfirmedPayload {
	orderId: string;
	userId: string;
	paymentId: string | null;
	items: OrderLine[];
	/** The order was made from the shopper's cart: the cart is emptied now. */
	fromCart: boolean;
}

/** `order.timed-out.v1`, `order.cancelled.v1` (inventory and payments read `orderId`). */
export interface OrderRefPayload {
	orderId: string;
	reason?: string;
}

/** `payment.authorized.v1`: the provider holds the order's amount on the shopper's method. */
export interface PaymentAuthorizedPayload {
	orderId: string;
	paymentId: string;
	amountCents: number;
	currency: string;
}

/** Why a payment did not go through. */
export type PaymentFailureReason = "PAYMENT_DECLINED" | "PAYMENT_PROVIDER_ERROR";

/** `payment.failed.v1`: no money will be taken for this order. */
export interface PaymentFailedPayload {
	orderId: string;
	paymentId: string;
	reason: PaymentFailureReason;
	message: string;
}

/** `payment.refunded.v1`: an authorization was voided (the order ended without a sale). */
export interface PaymentRefundedPayload {
	orderId: string;
	paymentId: string;
	amountCents: number;
	currency: string;
	reason: string;
}

/** `inventory.reserved.v1`: every line of the order is held until `expiresAt` (the earliest line's). */
export interface InventoryReservedPayload {
	orderId: string;
	items: Array<OrderLine & { reservationId: string }>;
	expiresAt: string;
}

/** Why inventory could not hold an order. */
export const RESERVATION_FAILURE_REASONS = ["INSUFFICIENT_STOCK", "SKU_NOT_FOUND", "INVALID_ORDER"] as const;
export type ReservationFailureReason = (typeof RESERVATION_FAILURE_REASONS)[number];

/**
 * `inventory.reservation.failed.v1`: nothing of the order is held (lines reserved before the failing
 * one are released). `items` lists the lines that could not be reserved, with the error code of each.
 */
export interface InventoryReservationFailedPayload {
	orderId: string;
	reason: ReservationFailureReason;
	message: string;
	items: Array<OrderLine & { code: string }>;
}
