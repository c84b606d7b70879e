import { type OrderCreatedPayload, type OrderRefPayload, TOPIC } from "../../lib/events/checkout-topics";
import type { EventEnvelope } from "../../lib/events/event-envelope";
import type { MetricsMethods } from "../../mixins/metrics.mixin";
import type { PaymentSaga, SagaOutcome } from "./payment-saga";

/** What the channel handlers need from the payments service. */
export interface PaymentsSagaHost extends MetricsMethods {
	saga: PaymentSaga;
	logger: { debug(message: string): void };
}

/** The consumer group every payments node joins: each event is handled by one of them. */
const GROUP = "payments";

function handled(host: PaymentsSagaHost, envelope: EventEnvelope, outcome: SagaOutcome): void {
	host.logger.debug(`${envelope.type} of ${(envelope.payload as { orderId?: string })?.orderId}: ${outcome}`);
}

async function calledOff(this: PaymentsSagaHost, envelope: EventEnvelope<OrderRefPayload>): Promise<void> {
	handled(this, envelope, await this.saga.onOrderCalledOff(envelope));
}

/**
 * Payments' subscriptions in the checkout saga (`@moleculer/channels`: retries, then the dead-letter
 * topic). A handler that throws is retried; one that returns acknowledges the event.
 */
export function paymentsSagaChannels() {
	return {
		[TOPIC.orderCreated]: {
			group: GROUP,
			async handler(this: PaymentsSagaHost, envelope: EventEnvelope<OrderCreatedPayload>) {
				handled(this, envelope, await this.saga.onOrderCreated(envelope));
			},
		},
		[TOPIC.orderConfirmed]: {
			group: GROUP,
			async handler(this: PaymentsSagaHost, envelope: EventEnvelope<OrderRefPayload>) {
				handled(this, envelope, await this.saga.onOrderConfirmed(envelope));
			},
		},
		[TOPIC.orderCancelled]: { group: GROUP, handler: calledOff },
		[TOPIC.orderTimedOut]: { group: GROUP, handler: calledOff },
	};
}
