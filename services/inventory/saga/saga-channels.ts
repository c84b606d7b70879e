import { setTimeout as sleep } from "node:timers/promises";
import { Errors } from "moleculer";
import {
	type OrderCreatedPayload,
	type OrderLine,
	type OrderRefPayload,
	TOPIC,
} from "../../../lib/events/checkout-topics";
import type { EventEnvelope } from "../../../lib/events/event-envelope";
import type { MetricsMethods } from "../../../mixins/metrics.mixin";
import { METRIC } from "../inventory.metrics";
import type { OrderSaga } from "./order-saga";

/** What the channel handlers need from the inventory service. */
export interface SagaHost extends MetricsMethods {
	saga: OrderSaga;
	orderLinesOf(payload: OrderCreatedPayload): OrderLine[] | { invalid: string };
	logger: { warn(msg: string): void; info(msg: string): void };
}

/** A confirmation can overtake `order.created.v1` (a replay, an operator): wait this long for inventory's decision. */
const CONFIRM_WAIT_MS = 10_000;
const CONFIRM_POLL_MS = 200;

/** The consumer group every inventory node joins: each event is handled by one of them. */
const GROUP = "inventory";

function orderIdOf(envelope: EventEnvelope<{ orderId?: unknown }>): string {
	const orderId = envelope?.payload?.orderId;
	// No order to answer to: nothing can be decided, so the event goes to the dead letters.
	if (typeof orderId !== "string" || orderId.length === 0 || orderId.length > 64) {
		throw new Errors.MoleculerError(`Event ${envelope?.eventId} has no valid orderId`, 422, "INVALID_EVENT");
	}
	return orderId;
}

async function calledOff(this: SagaHost, envelope: EventEnvelope<OrderRefPayload>) {
	orderIdOf(envelope);
	const outcome = await this.saga.onOrderCalledOff(envelope);
	this.countMetric(METRIC.sagaEvents, { topic: envelope.type, outcome: outcome.toLowerCase() });
}

/** Inventory's subscriptions in the checkout saga (`@moleculer/channels`, retries and dead letters on). */
export function sagaChannels() {
	return {
		[TOPIC.orderCreated]: {
			group: GROUP,
			async handler(this: SagaHost, envelope: EventEnvelope<OrderCreatedPayload>) {
				const orderId = orderIdOf(envelope);
				const lines = this.orderLinesOf(envelope.payload);
				const outcome = await this.saga.onOrderCreated(envelope, lines);
				this.countMetric(METRIC.sagaEvents, { topic: envelope.type, outcome });
				if ("invalid" in lines) this.logger.warn(`Order ${orderId} cannot be held: ${lines.invalid}`);
			},
		},
		[TOPIC.orderTimedOut]: { group: GROUP, handler: calledOff },
		[TOPIC.orderCancelled]: { group: GROUP, handler: calledOff },
		[TOPIC.paymentFailed]: { group: GROUP, handler: calledOff },
		[TOPIC.orderConfirmed]: {
			group: GROUP,
			async handler(this: SagaHost, envelope: EventEnvelope<OrderRefPayload>) {
				const orderId = orderIdOf(envelope);
				const deadline = Date.now() + CONFIRM_WAIT_MS;
				let outcome = await this.saga.onOrderConfirmed(envelope);
				while (outcome === null && Date.now() < deadline) {
					await sleep(CONFIRM_POLL_MS);
					outcome = await this.saga.onOrderConfirmed(envelope);
				}
				if (outcome === null) {
					// Retried by the channel, then dead-lettered: an operator requeues it once the order is decided.
					throw new Errors.MoleculerRetryableError(
						`Order ${orderId} was confirmed but inventory has not seen it yet`,
						503,
						"ORDER_NOT_DECIDED",
					);
				}
				this.countMetric(METRIC.sagaEvents, { topic: envelope.type, outcome: outcome.toLowerCase() });
				if (outcome !== "CONFIRMED" && outcome !== "duplicate") {
					this.logger.warn(`Order ${orderId} was confirmed but its stock is ${outcome}: nothing confirmed`);
				}
			},
		},
	};
}
