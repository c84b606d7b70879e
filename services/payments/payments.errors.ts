import { ClientError } from "../../lib/errors";

export const PAYMENT_NOT_FOUND = "PAYMENT_NOT_FOUND";
export const INVALID_SIGNATURE = "INVALID_SIGNATURE";
export const INVALID_WEBHOOK_PAYLOAD = "INVALID_WEBHOOK_PAYLOAD";
export const DEAD_LETTER_NOT_FOUND = "DEAD_LETTER_NOT_FOUND";
export const DEAD_LETTER_NOT_OPEN = "DEAD_LETTER_NOT_OPEN";
export const UNSUPPORTED_PAYMENT_METHOD = "UNSUPPORTED_PAYMENT_METHOD";
export const PAYMENT_ORDER_CONFLICT = "PAYMENT_ORDER_CONFLICT";

/** Also for another user's payment: whether it exists is not theirs to learn. */
export class PaymentNotFoundError extends ClientError {
	constructor(paymentId: string) {
		super(`Payment ${paymentId} not found`, 404, PAYMENT_NOT_FOUND, { paymentId });
	}
}

/** A webhook without a valid `X-Razorpay-Signature`: nothing of it is stored. */
export class InvalidSignatureError extends ClientError {
	constructor() {
		super("Webhook signature missing or invalid", 401, INVALID_SIGNATURE);
	}
}

/** A signed webhook whose body is not JSON or lacks a field: nothing of it is stored. */
export class InvalidWebhookPayloadError extends ClientError {
	constructor(problem: string) {
		super(`Webhook payload invalid: ${problem}`, 400, INVALID_WEBHOOK_PAYLOAD, { problem });
	}
}

export class DeadLetterNotFoundError extends ClientError {
	constructor(id: number) {
		super(`Provider dead letter ${id} not found`, 404, DEAD_LETTER_NOT_FOUND, { id });
	}
}

/** Already replayed (`RESOLVED`), or a replay of it is running (`REQUEUED`). */
export class DeadLetterNotOpenError extends ClientError {
	constructor(id: number, status: string) {
		super(`Provider dead letter ${id} is ${status}: only an OPEN one can be requeued`, 409, DEAD_LETTER_NOT_OPEN, {
			id,
			status,
		});
	}
}

export class UnsupportedPaymentMethodError extends ClientError {
	constructor(method: string, supported: readonly string[]) {
		super(`Payment method ${method} is not supported (${supported.join(", ")})`, 400, UNSUPPORTED_PAYMENT_METHOD, {
			supported,
		});
	}
}

/** `POST /api/payments/intents` for an order whose payment belongs to someone else. */
export class PaymentOrderConflictError extends ClientError {
	constructor(orderId: string) {
		super(`Order ${orderId} already has a payment of another user`, 409, PAYMENT_ORDER_CONFLICT, { orderId });
	}
}
