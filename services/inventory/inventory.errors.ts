import { Errors } from "moleculer";
import { ClientError } from "../../lib/errors";

/** Stable error types: clients and tests branch on these, never on messages. */
export const SKU_NOT_FOUND = "SKU_NOT_FOUND";
export const INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK";
export const RESERVATION_NOT_FOUND = "RESERVATION_NOT_FOUND";
export const INVALID_RESERVATION_STATE = "INVALID_RESERVATION_STATE";
export const QUEUE_FULL = "QUEUE_FULL";
export const VALIDATION_ERROR = "VALIDATION_ERROR";
export const INVENTORY_UNAVAILABLE = "INVENTORY_UNAVAILABLE";

export class SkuNotFoundError extends ClientError {
	constructor(sku: string) {
		super(`SKU ${sku} does not exist`, 404, SKU_NOT_FOUND, { sku });
	}
}

export class InsufficientStockError extends ClientError {
	constructor(sku: string, requested: number, available: number) {
		super(`Not enough stock of ${sku}: ${requested} requested, ${available} available`, 409, INSUFFICIENT_STOCK, {
			sku,
			requested,
			available,
		});
	}
}

export class ReservationNotFoundError extends ClientError {
	constructor(reservationId: string) {
		super(`Reservation ${reservationId} does not exist`, 404, RESERVATION_NOT_FOUND, { reservationId });
	}
}

export class OrderHoldNotFoundError extends ClientError {
	constructor(orderId: string) {
		super(`Inventory has not seen order ${orderId}`, 404, "ORDER_NOT_FOUND", { orderId });
	}
}

export class InvalidReservationStateError extends ClientError {
	constructor(reservationId: string, status: string, wanted: string) {
		super(`Reservation ${reservationId} is ${status} and cannot become ${wanted}`, 409, INVALID_RESERVATION_STATE, {
			reservationId,
			status,
		});
	}
}

/** The SKU's mailbox is full: admission control, the caller should back off. */
export class QueueFullError extends ClientError {
	constructor(sku: string) {
		super(`Too many pending requests for ${sku}; retry later`, 429, QUEUE_FULL, { sku });
	}
}

export class InventoryValidationError extends ClientError {
	constructor(message: string, field: string) {
		super(message, 400, VALIDATION_ERROR, [{ field, message }]);
	}
}

/**
 * The batch could not be committed (database down, fence lost too often: nothing was changed), or the
 * SKU's owner was lost with the call pending (see owner-loss.ts). `retryAfterS` reaches HTTP clients
 * as `Retry-After`.
 */
export class InventoryUnavailableError extends Errors.MoleculerRetryableError {
	constructor(sku: string, reason: string, retryAfterS = 1) {
		super(`Inventory for ${sku} is temporarily unavailable`, 503, INVENTORY_UNAVAILABLE, { sku, reason, retryAfterS });
	}
}
