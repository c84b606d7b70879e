import {
	type InventoryReservationFailedPayload,
	type PaymentAuthorizedPayload,
	type PaymentFailedPayload,
	TOPIC,
} from "../../lib/events/checkout-topics";
import type { EventEnvelope } from "../../lib/events/event-envelope";
import type { MetricsMethods } from "../../mixins/metrics.mixin";
import type { ApplyOutcome, OrderCoordinator } from "./order-coordinator";
import type { SagaInput } from "./order-status";
import { ORDER_METRIC } from "./orders.metrics";

/** What the channel handlers need from the orders service. */
export interface OrdersSagaHost extends MetricsMethods {
	coordinator: OrderCoordinator;
	logger: { warn(msg: string): void; debug(msg: string): void };
}

/** The consumer group every orders node joins: each event is handled by one of them. */
const GROUP = "orders";

/** A handler that turns the event into the saga's input and hands it to the coordinator. */
function inputHandler<T extends { orderId: string }>(toInput: (payload: T) => SagaInput) {
	return async function handle(this: OrdersSagaHost, envelope: EventEnvelope<T>): Promise<void> {
		const orderId = envelope?.payload?.orderId;
		if (typeof orderId !== "string" || orderId.length === 0) {
			// Nothing to apply it to; acknowledged (not retried) and logged.
			this.logger.warn(`Event ${envelope?.eventId} (${envelope?.type}) has no orderId: ignored`);
			return;
		}
		const outcome: ApplyOutcome = await this.coordinator.onEvent(envelope, toInput(envelope.payload));
		const label = outcome.kind === "unknown-order" ? "unknown_order" : outcome.kind;
		this.countMetric(ORDER_METRIC.sagaEvents, { topic: envelope.type, outcome: label });
		if (outcome.kind === "unknown-order") this.logger.debug(`Event ${envelope.type} for unknown order ${orderId}`);
	};
}

/**
 * Orders' subscriptions in the checkout saga: the outcomes of inventory and payments. Any arrival
 * order works: each is an input of `decide`, which knows what a late or early one means.
 */
export function ordersSagaChannels() {
	return {
		[TOPIC.inventoryReserved]: {
			group: GROUP,
			handler: inputHandler(() => ({ kind: "stockReserved" })),
		},
		[TOPIC.inventoryReservationFailed]: {
			group: GROUP,
			handler: inputHandler<InventoryReservationFailedPayload>((p) => ({
				kind: "stockFailed",
				reason: p.reason ?? "INSUFFICIENT_STOCK",
			})),
		},
		[TOPIC.paymentAuthorized]: {
			group: GROUP,
			handler: inputHandler<PaymentAuthorizedPayload>((p) => ({ kind: "paymentAuthorized", paymentId: p.paymentId })),
		},
		[TOPIC.paymentFailed]: {
			group: GROUP,
			handler: inputHandler<PaymentFailedPayload>((p) => ({
				kind: "paymentFailed",
				paymentId: p.paymentId,
				reason: p.reason ?? "PAYMENT_DECLINED",
			})),
		},
	};
}
