import type { PaymentStatus } from "./payment-status";
import type { PaymentRecord } from "./payments.repository";
import type { ProviderDeadLetter } from "./provider-dead-letters.repository";

/** What the API answers for a payment. Money in minor units, times ISO-8601. */
export interface PaymentView {
	paymentId: string;
	orderId: string;
	userId: string | null;
	status: PaymentStatus;
	reason: string | null;
	amountCents: number;
	currency: string;
	method: string;
	providerIntentId: string | null;
	createdAt: string;
	updatedAt: string;
}

export function paymentView(payment: PaymentRecord): PaymentView {
	return {
		paymentId: payment.paymentId,
		orderId: payment.orderId,
		userId: payment.userId,
		status: payment.status,
		reason: payment.reason,
		amountCents: payment.amountCents,
		currency: payment.currency,
		method: payment.method,
		providerIntentId: payment.providerIntentId,
		createdAt: new Date(payment.createdAt).toISOString(),
		updatedAt: new Date(payment.updatedAt).toISOString(),
	};
}

export interface DeadLetterView extends Omit<ProviderDeadLetter, "createdAt" | "requeuedAt"> {
	createdAt: string;
	requeuedAt: string | null;
}

export function deadLetterView(letter: ProviderDeadLetter): DeadLetterView {
	return {
		...letter,
		createdAt: new Date(letter.createdAt).toISOString(),
		requeuedAt: letter.requeuedAt === null ? null : new Date(letter.requeuedAt).toISOString(),
	};
}
