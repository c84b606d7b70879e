import { Errors } from "moleculer";
import { ClientError } from "../../lib/errors";

export const ORDER_NOT_FOUND = "ORDER_NOT_FOUND";
export const INVALID_ORDER_STATE = "INVALID_ORDER_STATE";
export const PRODUCT_NOT_AVAILABLE = "PRODUCT_NOT_AVAILABLE";
export const IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED";
export const CHECKOUT_BUSY = "CHECKOUT_BUSY";

/** Also for another user's order: whether it exists is not theirs to learn. */
export class OrderNotFoundError extends ClientError {
	constructor(orderId: string) {
		super(`Order ${orderId} not found`, 404, ORDER_NOT_FOUND, { orderId });
	}
}

export class InvalidOrderStateError extends ClientError {
	constructor(orderId: string, status: string, wanted: string) {
		super(`Order ${orderId} is ${status}: it cannot be ${wanted}`, 409, INVALID_ORDER_STATE, { orderId, status });
	}
}

/** A line names a product that is unknown or not for sale; `line` is its index in the request. */
export class ProductNotAvailableError extends ClientError {
	constructor(line: number, sku: string) {
		super(`Line ${line}: product ${sku} is unknown or not for sale`, 400, PRODUCT_NOT_AVAILABLE, { line, sku });
	}
}

export class MixedCurrenciesError extends ClientError {
	constructor(currencies: string[]) {
		super(`An order is paid in one currency; these lines are in ${currencies.join(", ")}`, 400, "MIXED_CURRENCIES", {
			currencies,
		});
	}
}

export class CartEmptyError extends ClientError {
	constructor() {
		super("The cart is empty: there is nothing to order", 400, "CART_EMPTY");
	}
}

export class OrderRequestError extends ClientError {
	constructor(message: string, field: string) {
		super(message, 400, "VALIDATION_ERROR", [{ field, type: "invalid", message }]);
	}
}

export class ShippingAddressNotFoundError extends ClientError {
	constructor(addressId: string) {
		super(`Address ${addressId} is not one of yours`, 400, "ADDRESS_NOT_FOUND", { addressId });
	}
}

export class UnsupportedPaymentMethodError extends ClientError {
	constructor(method: string, supported: readonly string[]) {
		super(`Payment method ${method} is not supported (${supported.join(", ")})`, 400, "UNSUPPORTED_PAYMENT_METHOD", {
			supported,
		});
	}
}

export class IdempotencyKeyReusedError extends ClientError {
	constructor() {
		super("This Idempotency-Key was used for a different order", 409, IDEMPOTENCY_KEY_REUSED);
	}
}

/** An operator's confirm of a PAID order whose stock inventory does not hold. */
export class StockNotHeldError extends ClientError {
	constructor(orderId: string, holdStatus: string) {
		super(`Inventory holds no stock for order ${orderId} (${holdStatus})`, 409, "STOCK_NOT_HELD", {
			orderId,
			holdStatus,
		});
	}
}

/**
 * The saga is behind (see checkout-admission.ts): nothing was written; the client retries after
 * `retryAfterS`. `loadShed`: an answer by design, logged once when checkout closes, not per request.
 */
export class CheckoutBusyError extends Errors.MoleculerRetryableError {
	constructor(retryAfterS: number) {
		super("Checkout is busy: too many orders are waiting for stock; retry shortly", 503, CHECKOUT_BUSY, {
			retryAfterS,
			loadShed: true,
		});
	}
}
