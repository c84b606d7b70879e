import type { Transaction } from "sequelize";
import {
	type OrderConfirmedPayload,
	type OrderCreatedPayload,
	type OrderRefPayload,
	TOPIC,
} from "../../lib/events/checkout-topics";
import { type EventEnvelope, newEvent } from "../../lib/events/event-envelope";
import { type Decision, decide, type EndEvent, isRefusal, type OrderStatus, type SagaInput } from "./order-status";
import type { NewOrder, OrderRecord, OrdersRepository } from "./orders.repository";

/** What the service gives the coordinator: consumer dedup, the outbox and transactions (DbMixin's). */
export interface CoordinatorEffects {
	transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
	consumeOnce(envelope: EventEnvelope, consumer: string, effect: (tx: Transaction) => Promise<void>): Promise<boolean>;
	writeEvents(transaction: Transaction, events: readonly EventEnvelope[]): Promise<void>;
	/** Told after commit of every order that reached a terminal status. */
	ended(order: OrderRecord, status: OrderStatus, reason: string | null): void;
}

export type ApplyOutcome =
	| { kind: "applied"; order: OrderRecord; decision: Decision }
	/** The input did not apply to the order as it is (terminal, or already past it). */
	| { kind: "refused"; order: OrderRecord }
	| { kind: "unknown-order" }
	| { kind: "duplicate" };

export const CONSUMER = "orders";

/** Version conflicts are retried this often: each is another writer's commit, so few happen in a row. */
const MAX_CONFLICTS = 5;

const END_TOPIC: Record<EndEvent, string> = {
	confirmed: TOPIC.orderConfirmed,
	cancelled: TOPIC.orderCancelled,
	timedOut: TOPIC.orderTimedOut,
};

class VersionConflict extends Error {}

/**
 * The checkout saga's coordinator: the only writer of an order's status. Each input (an event, a
 * person's request, the timeout sweep) is decided by `decide` against the order as locked in one
 * transaction, which also writes the history rows, the end event (outbox) and, for an event, its
 * dedup row. So an order reaches one end, and publishes it once.
 */
export class OrderCoordinator {
	constructor(
		private readonly orders: OrdersRepository,
		private readonly effects: CoordinatorEffects,
	) {}

	/** A new PENDING order with its `order.created.v1`; false when its idempotency key was taken meanwhile. */
	create(order: NewOrder, correlationId: string): Promise<boolean> {
		return this.effects.transaction(async (tx) => {
			if (!(await this.orders.insert(tx, order))) return false;
			const currency = Object.keys(order.totals)[0] as string;
			const payload: OrderCreatedPayload = {
				orderId: order.orderId,
				userId: order.userId,
				items: order.items,
				amountCents: order.totals[currency] as number,
				currency,
				paymentMethod: order.paymentMethod,
			};
			await this.effects.writeEvents(tx, [newEvent(TOPIC.orderCreated, order.orderId, payload, correlationId)]);
			return true;
		});
	}

	/** An event's input, applied once per event (redeliveries are duplicates). */
	onEvent(envelope: EventEnvelope<{ orderId: string }>, input: SagaInput): Promise<ApplyOutcome> {
		return this.decided(async () => {
			let outcome: ApplyOutcome = { kind: "duplicate" };
			const applied = await this.effects.consumeOnce(envelope, CONSUMER, async (tx) => {
				outcome = await this.decideIn(tx, envelope.payload.orderId, input, envelope.correlationId);
			});
			return applied ? outcome : { kind: "duplicate" };
		});
	}

	/** A person's or the sweep's input. */
	apply(orderId: string, input: SagaInput, correlationId: string): Promise<ApplyOutcome> {
		return this.decided(() => this.effects.transaction((tx) => this.decideIn(tx, orderId, input, correlationId)));
	}

	/**
	 * Runs one decision's transaction, again if the order's version moved under it (the row lock makes that a
	 * safety net, not a path), then reports an end after commit.
	 */
	private async decided(attempt: () => Promise<ApplyOutcome>): Promise<ApplyOutcome> {
		for (let tries = 1; ; tries++) {
			try {
				const outcome = await attempt();
				this.afterCommit(outcome);
				return outcome;
			} catch (err) {
				if (!(err instanceof VersionConflict) || tries >= MAX_CONFLICTS) throw err;
			}
		}
	}

	private async decideIn(
		tx: Transaction,
		orderId: string,
		input: SagaInput,
		correlationId: string,
	): Promise<ApplyOutcome> {
		const order = await this.orders.find(orderId, tx);
		if (!order) return { kind: "unknown-order" };
		const decision = decide(order, input);
		if (isRefusal(decision)) return { kind: "refused", order };
		const now = Date.now();
		if (!(await this.orders.apply(tx, order, decision, now))) throw new VersionConflict(orderId);
		if (decision.publish) {
			await this.effects.writeEvents(tx, [endEvent(order, decision, correlationId)]);
		}
		const last = decision.steps[decision.steps.length - 1] as Decision["steps"][number];
		const after: OrderRecord = {
			...order,
			status: last.status,
			reason: last.reason,
			stockReserved: decision.stockReserved,
			paymentAuthorized: decision.paymentAuthorized,
			paymentId: decision.paymentId ?? order.paymentId,
			version: order.version + 1,
			updatedAt: now,
		};
		return { kind: "applied", order: after, decision };
	}

	private afterCommit(outcome: ApplyOutcome): void {
		if (outcome.kind === "applied" && outcome.decision.publish) {
			this.effects.ended(outcome.order, outcome.order.status, outcome.order.reason);
		}
	}
}

function endEvent(order: OrderRecord, decision: Decision, correlationId: string): EventEnvelope {
	const last = decision.steps[decision.steps.length - 1] as Decision["steps"][number];
	const topic = END_TOPIC[decision.publish as EndEvent];
	if (decision.publish === "confirmed") {
		const payload: OrderConfirmedPayload = {
			orderId: order.orderId,
			userId: order.userId,
			paymentId: decision.paymentId ?? order.paymentId,
			items: order.items.map(({ sku, quantity }) => ({ sku, quantity })),
			fromCart: order.fromCart,
		};
		return newEvent(topic, order.orderId, payload, correlationId);
	}
	const payload: OrderRefPayload = { orderId: order.orderId, reason: last.reason ?? undefined };
	return newEvent(topic, order.orderId, payload, correlationId);
}
