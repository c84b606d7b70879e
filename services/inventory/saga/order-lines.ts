import { setTimeout as sleep } from "node:timers/promises";
import type { ServiceBroker } from "moleculer";
import type { OrderCreatedPayload, OrderLine } from "../../../lib/events/checkout-topics";
import { backoffMs } from "../../../lib/events/outbox-relay";
import { INVALID_RESERVATION_STATE, QUEUE_FULL, RESERVATION_NOT_FOUND } from "../inventory.errors";
import { orderIdParam, skuParam } from "../inventory.params";
import type { ReservationView } from "../reservation";
import { isDecisiveRefusal, type LineOutcome, type OrderLines } from "./order-saga";

/** Lines an order may have: more is an invalid order, not a bigger batch. */
export const MAX_ORDER_LINES = 100;

/** The `order.created.v1` payload; each SKU's total is checked against the per-order maximum after merging. */
export const ORDER_CREATED_SCHEMA = {
	orderId: orderIdParam,
	items: {
		type: "array",
		min: 1,
		max: MAX_ORDER_LINES,
		items: {
			type: "object",
			props: { sku: skuParam, quantity: { type: "number", integer: true, positive: true } },
		},
	},
} as const;

type Check = (value: object) => true | Array<{ field?: string; message?: string }>;

/**
 * The order's lines, one per SKU (two lines of one SKU are one reservation: their quantities add up),
 * or why the order cannot be held at all.
 */
export function orderLinesOf(
	payload: OrderCreatedPayload,
	check: Check,
	maxQuantityPerOrder: number,
): OrderLine[] | { invalid: string } {
	const valid = check(payload);
	if (valid !== true) return { invalid: valid.map((e) => e.message ?? e.field).join("; ") };
	const bySku = new Map<string, number>();
	for (const { sku, quantity } of payload.items) bySku.set(sku, (bySku.get(sku) ?? 0) + quantity);
	const lines = [...bySku].map(([sku, quantity]) => ({ sku, quantity }));
	const tooMany = lines.find((line) => line.quantity > maxQuantityPerOrder);
	if (tooMany) {
		return { invalid: `${tooMany.quantity} of ${tooMany.sku} is over the per-order maximum ${maxQuantityPerOrder}` };
	}
	return lines;
}

export interface RetryPolicy {
	attempts: number;
	baseDelayMs: number;
	maxDelayMs: number;
}

/** Queue full, a database hiccup, a node leaving: worth a few quick retries before the event is redelivered. */
export const TRANSIENT_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 50, maxDelayMs: 2000 };

/** Worth retrying: the call may succeed later (full mailbox, node or database briefly away, timeout). */
function isTransient(err: unknown): boolean {
	const { retryable, type } = err as { retryable?: boolean; type?: string };
	return retryable === true || type === QUEUE_FULL;
}

async function withRetries<T>(policy: RetryPolicy, call: () => Promise<T>): Promise<T> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await call();
		} catch (err) {
			if (!isTransient(err) || attempt >= policy.attempts) throw err;
			const delay = backoffMs(attempt, policy.baseDelayMs, policy.maxDelayMs);
			await sleep(delay);
		}
	}
}

/** The reservation is not in a state the settle step can change: logged and counted, not retried. */
export type SettleConflict = (orderId: string, sku: string, err: Error) => void;

/** The saga's lines, through the routed inventory actions (so each reaches its SKU's owner). */
export function brokerOrderLines(
	broker: ServiceBroker,
	onConflict: SettleConflict,
	policy = TRANSIENT_RETRY,
): OrderLines {
	const settle = async (action: string, orderId: string, sku: string) => {
		try {
			await withRetries(policy, () => broker.call(action, { orderId, sku }));
		} catch (err) {
			const type = (err as { type?: string }).type;
			// Never reserved (a refused line), or already past this step: nothing to do.
			if (type === RESERVATION_NOT_FOUND) return;
			if (type === INVALID_RESERVATION_STATE) return onConflict(orderId, sku, err as Error);
			throw err;
		}
	};
	return {
		async reserve(orderId, { sku, quantity }): Promise<LineOutcome> {
			try {
				const reservation = await withRetries(policy, () =>
					broker.call<ReservationView, object>("inventory.reserve", { orderId, sku, quantity }),
				);
				return { ok: true, reservation };
			} catch (err) {
				const { type, message } = err as { type?: string; message: string };
				if (isDecisiveRefusal(type)) return { ok: false, code: type as string, message };
				throw err;
			}
		},
		release: (orderId, sku) => settle("inventory.release", orderId, sku),
		confirm: (orderId, sku) => settle("inventory.confirm", orderId, sku),
	};
}
