/** The orders side of the checkout saga, as inventory's tests need it before the orders service exists. */
import type { ServiceBroker, ServiceSchema } from "moleculer";
import { type OrderCreatedPayload, type OrderLine, TOPIC } from "../../lib/events/checkout-topics";
import { type EventEnvelope, newEvent } from "../../lib/events/event-envelope";
import { channelPublisher } from "../../lib/events/event-publisher";

/** Stands in for the orders service: hands every outcome inventory announces to `onOutcome`. */
export function ordersStandIn(onOutcome: (envelope: EventEnvelope) => void): ServiceSchema {
	const handler = (envelope: EventEnvelope) => {
		onOutcome(envelope);
	};
	return {
		name: "orders-stand-in",
		channels: {
			[TOPIC.inventoryReserved]: { group: "orders-stand-in", handler },
			[TOPIC.inventoryReservationFailed]: { group: "orders-stand-in", handler },
		},
	} as ServiceSchema;
}

/** An `order.created.v1` event, correlated as `corr-<orderId>`. */
export function orderCreated(orderId: string, items: OrderLine[]): EventEnvelope<OrderCreatedPayload> {
	return newEvent<OrderCreatedPayload>(TOPIC.orderCreated, orderId, { orderId, items }, `corr-${orderId}`);
}

/** Publishes as a producer's outbox relay would; fails if the broker did not take it. */
export async function publishEvent(broker: ServiceBroker, event: EventEnvelope): Promise<EventEnvelope> {
	const [error] = await channelPublisher(broker)([event]);
	if (error) throw error;
	return event;
}
