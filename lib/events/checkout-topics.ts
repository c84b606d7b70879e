/**
 * The checkout saga's topics and payloads: the contract between orders, payments and inventory.
 * Every event is keyed by its order id, so one order's events stay in order on Kafka.
 */
export const TOPIC = {
	orderCreated: "order.created.v1",
	orderTimedOut: "order.timed-out.v1",
	orderCancelled: "order.cancelled.v1",
	paymentAuthorized: "payment.authorized.v1",
	paymentFailed: "payment.failed.v1",
	inventoryReserved: "inventory.reserved.v1",
	inventoryReservationFailed: "inventory.reservation.failed.v1",
} as const;

export interface OrderLine {
	sku: string;
	quantity: number;
}

/** `order.created.v1`: an order waits for its stock (inventory) and its payment (payments). */
export interface OrderCreatedPayload {
	orderId: string;
	userId?: string;
	items: OrderLine[];
}

/** `order.timed-out.v1`, `order.cancelled.v1`, `payment.failed.v1`, `payment.authorized.v1` (inventory reads `orderId`). */
export interface OrderRefPayload {
	orderId: string;
	reason?: string;
}

/** `inventory.reserved.v1`: every line of the order is held until `expiresAt` (the earliest line's). */
export interface InventoryReservedPayload {
	orderId: string;
	items: Array<OrderLine & { reservationId: string }>;
	expiresAt: string;
}

/** Why inventory could not hold an order. */
export type ReservationFailureReason = "INSUFFICIENT_STOCK" | "SKU_NOT_FOUND" | "INVALID_ORDER";

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
