import type { OrderStatus } from "./order-status";
import type { HistoryEntry, OrderRecord } from "./orders.repository";

/** What the API answers for an order. */
export interface OrderView {
	orderId: string;
	userId: string;
	status: OrderStatus;
	reason: string | null;
	items: OrderRecord["items"];
	totals: Record<string, number>;
	paymentMethod: string;
	paymentId: string | null;
	shippingAddressId: string | null;
	fromCart: boolean;
	createdAt: string;
	updatedAt: string;
	history: Array<{ status: OrderStatus; reason: string | null; at: string }>;
}

/** The order as the API answers it, with its history (oldest first). */
export function orderView(order: OrderRecord, history: readonly HistoryEntry[]): OrderView {
	return {
		orderId: order.orderId,
		userId: order.userId,
		status: order.status,
		reason: order.reason,
		items: order.items,
		totals: order.totals,
		paymentMethod: order.paymentMethod,
		paymentId: order.paymentId,
		shippingAddressId: order.shippingAddressId,
		fromCart: order.fromCart,
		createdAt: new Date(order.createdAt).toISOString(),
		updatedAt: new Date(order.updatedAt).toISOString(),
		history: history.map((h) => ({ status: h.status, reason: h.reason, at: new Date(h.at).toISOString() })),
	};
}
