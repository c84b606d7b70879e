import { randomUUID } from "node:crypto";
import { Errors } from "moleculer";
import type { Transaction } from "sequelize";
import { type OrderCreatedPayload, type OrderRefPayload, TOPIC } from "../../lib/events/checkout-topics";
import type { EventEnvelope } from "../../lib/events/event-envelope";
import type { IntentRequests } from "./intent-requests";
import type { PaymentEffects } from "./payment-effects";
import { decideCallOff, FINAL_STATUSES } from "./payment-status";
import type { PaymentRecord, PaymentsRepository } from "./payments.repository";

/** What the saga needs from the service: consumer dedup (the effect and its dedup row in one transaction). */
export interface SagaDeps {
	payments: PaymentsRepository;
	effects: PaymentEffects;
	intents: IntentRequests;
	consumeOnce(envelope: EventEnvelope, consumer: string, effect: (tx: Transaction) => Promise<void>): Promise<boolean>;
	logger: { warn(message: string): void };
}

/** The consumer name of payments' dedup rows. */
export const SAGA_CONSUMER = "payments";

/** A new payment's fields, from `order.created.v1` or from `POST /api/payments/intents`. */
export interface NewPayment {
	orderId: string;
	/** The order's correlation id (the request's, for a client's own intent). */
	correlationId: string;
	userId: string;
	amountCents: number;
	currency: string;
	method: string;
}

export type SagaOutcome = "created" | "exists" | "confirmed" | "called_off" | "tombstone" | "ignored" | "duplicate";

function invalidEvent(envelope: EventEnvelope, problem: string): Errors.MoleculerError {
	// Nothing can be charged or answered: the event goes to the dead letters for a person to look at.
	return new Errors.MoleculerError(`Event ${envelope?.eventId} (${envelope?.type}): ${problem}`, 422, "INVALID_EVENT");
}

export function orderIdOf(envelope: EventEnvelope<{ orderId?: unknown }>): string {
	const orderId = envelope?.payload?.orderId;
	if (typeof orderId !== "string" || orderId.length === 0 || orderId.length > 64) {
		throw invalidEvent(envelope, "no valid orderId");
	}
	return orderId;
}

/** The payment `order.created.v1` asks for; INVALID_EVENT when it cannot be charged. */
export function newPaymentOf(envelope: EventEnvelope<OrderCreatedPayload>): NewPayment {
	const orderId = orderIdOf(envelope);
	const { userId, amountCents, currency, paymentMethod } = envelope.payload;
	if (typeof userId !== "string" || userId.length === 0 || userId.length > 64)
		throw invalidEvent(envelope, "no userId");
	if (typeof amountCents !== "number" || !Number.isSafeInteger(amountCents) || amountCents < 0) {
		throw invalidEvent(envelope, "amountCents is not a non-negative integer");
	}
	if (typeof currency !== "string" || !/^[A-Z]{3}$/.test(currency)) throw invalidEvent(envelope, "no ISO currency");
	if (typeof paymentMethod !== "string" || paymentMethod.length === 0 || paymentMethod.length > 64) {
		throw invalidEvent(envelope, "no paymentMethod");
	}
	return { orderId, correlationId: envelope.correlationId, userId, amountCents, currency, method: paymentMethod };
}

/** Why the order ended, as the payment records it. */
function callOffReasonOf(envelope: EventEnvelope<OrderRefPayload>): string {
	const reason = envelope.payload?.reason;
	if (typeof reason === "string" && reason.length > 0) return reason.slice(0, 64);
	return envelope.type === TOPIC.orderTimedOut ? "PAYMENT_TIMEOUT" : "ORDER_CANCELLED";
}

/**
 * Payments' side of the checkout saga: a payment per `order.created.v1`, a capture on
 * `order.confirmed.v1`, a void (now, or of a later authorization) on `order.cancelled.v1` and
 * `order.timed-out.v1`. Each effect runs in one transaction with its dedup row and outbox events.
 */
export class PaymentSaga {
	constructor(private readonly deps: SagaDeps) {}

	/**
	 * Writes the order's payment (`CREATED`) unless it has one, which it then returns locked. The
	 * tombstone of an order called off first gets the order's details but stays what it is.
	 */
	async open(tx: Transaction, input: NewPayment): Promise<{ payment: PaymentRecord; created: boolean }> {
		const { payments } = this.deps;
		const now = Date.now();
		const payment: PaymentRecord = {
			paymentId: randomUUID(),
			...input,
			status: "CREATED",
			reason: null,
			providerIntentId: null,
			orderState: "OPEN",
			createdAt: now,
			updatedAt: now,
		};
		// Insert first, read on a duplicate: a read-then-insert would take a gap lock on MariaDB, and two
		// writers of one order (a redelivery, a tombstone) holding it would deadlock on their inserts.
		if (await payments.insert(tx, payment)) return { payment, created: true };
		const existing = await payments.findByOrder(input.orderId, tx);
		if (!existing) throw new Errors.MoleculerRetryableError(`Payment of ${input.orderId} is being written`, 503);
		if (existing.userId !== null) return { payment: existing, created: false };
		const { orderId: _orderId, ...details } = input;
		return { payment: await payments.update(tx, existing, details, now), created: false };
	}

	/**
	 * `order.created.v1`: the payment is written and committed (with the dedup row), then its intent
	 * requested. A redelivery finds the payment still `CREATED` if the node died in between, and asks again.
	 */
	async onOrderCreated(envelope: EventEnvelope<OrderCreatedPayload>): Promise<SagaOutcome> {
		const input = newPaymentOf(envelope);
		let opened: { payment: PaymentRecord; created: boolean } | undefined;
		const applied = await this.deps.consumeOnce(envelope, SAGA_CONSUMER, async (tx) => {
			opened = await this.open(tx, input);
		});
		const payment = opened?.payment ?? (await this.deps.payments.findByOrder(input.orderId));
		if (payment?.status === "CREATED") await this.deps.intents.request(payment, envelope.correlationId, "retry");
		if (!applied) return "duplicate";
		return opened?.created ? "created" : "exists";
	}

	/** `order.confirmed.v1`: an AUTHORIZED payment is captured; a later authorization will be. */
	async onOrderConfirmed(envelope: EventEnvelope<OrderRefPayload>): Promise<SagaOutcome> {
		const orderId = orderIdOf(envelope);
		let outcome: SagaOutcome = "ignored";
		const applied = await this.deps.consumeOnce(envelope, SAGA_CONSUMER, async (tx) => {
			const payment = await this.deps.payments.findByOrder(orderId, tx);
			if (!payment) {
				this.deps.logger.warn(`Order ${orderId} was confirmed but payments has no payment for it`);
				return;
			}
			if (payment.orderState !== "OPEN") {
				this.deps.logger.warn(`Order ${orderId} was confirmed but its payment saw it ${payment.orderState}`);
				return;
			}
			// Authorized: captured now, the confirmation written with the capture's status (one UPDATE).
			if (payment.status === "AUTHORIZED") {
				await this.deps.effects.capture(tx, payment, "retry", { orderState: "CONFIRMED" });
			} else {
				await this.deps.payments.update(tx, payment, { orderState: "CONFIRMED" }, Date.now());
			}
			outcome = "confirmed";
		});
		return applied ? outcome : "duplicate";
	}

	/**
	 * `order.cancelled.v1`, `order.timed-out.v1`: the order ended without a sale. An AUTHORIZED payment is
	 * voided now; a waiting one is marked, so its authorization is voided when it comes; an order not seen
	 * yet gets a tombstone, so its late `order.created.v1` makes nothing chargeable.
	 */
	async onOrderCalledOff(envelope: EventEnvelope<OrderRefPayload>): Promise<SagaOutcome> {
		const orderId = orderIdOf(envelope);
		const reason = callOffReasonOf(envelope);
		let outcome: SagaOutcome = "ignored";
		const applied = await this.deps.consumeOnce(envelope, SAGA_CONSUMER, async (tx) => {
			const payment = await this.deps.payments.findByOrder(orderId, tx);
			if (!payment) {
				await this.insertTombstone(tx, orderId, reason);
				outcome = "tombstone";
				return;
			}
			const decision = decideCallOff(payment);
			if (decision.kind === "none") return;
			// A final payment keeps the reason it ended with.
			const changes = FINAL_STATUSES.includes(payment.status)
				? { orderState: "CALLED_OFF" as const }
				: { orderState: "CALLED_OFF" as const, reason };
			const marked = await this.deps.payments.update(tx, payment, changes, Date.now());
			if (decision.kind === "void")
				await this.deps.effects.voidAuthorization(tx, marked, envelope.correlationId, "retry");
			outcome = "called_off";
		});
		return applied ? outcome : "duplicate";
	}

	private async insertTombstone(tx: Transaction, orderId: string, reason: string): Promise<void> {
		const now = Date.now();
		const inserted = await this.deps.payments.insert(tx, {
			paymentId: randomUUID(),
			orderId,
			userId: null,
			amountCents: 0,
			currency: "",
			method: "",
			status: "VOIDED",
			reason,
			providerIntentId: null,
			orderState: "CALLED_OFF",
			correlationId: null,
			createdAt: now,
			updatedAt: now,
		});
		// The order's payment was written meanwhile: roll back and let the channel deliver this again.
		if (!inserted) throw new Errors.MoleculerRetryableError(`Payment of ${orderId} appeared meanwhile`, 503, "RETRY");
	}
}
