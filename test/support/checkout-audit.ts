/**
 * The checkout saga's invariants, read after a run: every order ended once, the stock is exactly what
 * the ended orders say, and money was taken only for CONFIRMED orders.
 */
import type { ServiceBroker } from "moleculer";
import { settled, waitFor } from "./events/harness";

export interface PlacedOrder {
	orderId: string;
	items: Array<{ sku: string; quantity: number }>;
}

interface OrderState {
	status: string;
	reason: string | null;
	history: Array<{ status: string }>;
}

const TERMINAL = ["CONFIRMED", "CANCELLED", "TIMED_OUT"];

/** Waits until every order is terminal; returns each one's order as stored. */
export async function untilAllEnded(
	broker: ServiceBroker,
	orders: readonly PlacedOrder[],
	timeoutMs: number,
): Promise<Map<string, OrderState>> {
	const ended = new Map<string, OrderState>();
	await waitFor(
		`${orders.length} orders to end`,
		async () => {
			const open = orders.filter((o) => !ended.has(o.orderId));
			for (let i = 0; i < open.length; i += 50) {
				const views = await Promise.all(
					open
						.slice(i, i + 50)
						.map((o) => broker.call<OrderState | null, object>("orders.inspect", { orderId: o.orderId })),
				);
				views.forEach((view, j) => {
					if (view && TERMINAL.includes(view.status)) ended.set((open[i + j] as PlacedOrder).orderId, view);
				});
			}
			return ended.size === orders.length ? true : undefined;
		},
		timeoutMs,
		500,
	);
	return ended;
}

/**
 * Every order reached exactly one terminal status (its history has one, as its last entry); the stock
 * of each SKU is settled and sold exactly for the CONFIRMED orders; every CONFIRMED order's payment is
 * CAPTURED and no other order's payment is captured or left authorized.
 */
export async function expectCheckoutConsistent(
	broker: ServiceBroker,
	orders: readonly PlacedOrder[],
	stockAdded: ReadonlyMap<string, number>,
	ended: ReadonlyMap<string, OrderState>,
): Promise<void> {
	for (const order of orders) {
		const view = ended.get(order.orderId) as OrderState;
		const terminals = view.history.filter((h) => TERMINAL.includes(h.status));
		expect([order.orderId, terminals.length, view.history.at(-1)?.status]).toEqual([order.orderId, 1, view.status]);
	}

	const sold = new Map<string, number>();
	for (const order of orders) {
		if (ended.get(order.orderId)?.status !== "CONFIRMED") continue;
		for (const line of order.items) sold.set(line.sku, (sold.get(line.sku) ?? 0) + line.quantity);
	}
	const stockOf = (sku: string) =>
		broker.call<{ available: number; reserved: number; confirmed: number }, object>("inventory.getStock", { sku });
	for (const [sku, added] of stockAdded) {
		const expected = { reserved: 0, confirmed: sold.get(sku) ?? 0, available: added - (sold.get(sku) ?? 0) };
		const matches = (stock: typeof expected) =>
			stock.reserved === 0 && stock.confirmed === expected.confirmed && stock.available === expected.available;
		// Inventory hears of the orders' ends through the event broker, after the orders do (seconds behind
		// when a consumer group is rejoining after an outage): wait for it to catch up, then for the stock to
		// stay put. A reservation left behind would stay for the reservation TTL (15 min), far longer.
		await waitFor(
			`the stock of ${sku} to match the ended orders`,
			async () => (matches(await stockOf(sku)) ? true : undefined),
			120_000,
			500,
		).catch(() => undefined);
		const stock = await settled(() => stockOf(sku), 1500, 30_000);
		if (!matches(stock)) {
			// Say which orders inventory disagrees on, so that a failure names them.
			const ofSku = orders.filter((o) => o.items.some((line) => line.sku === sku));
			expect({ sku, disagreeing: await holdsDisagreeing(broker, ofSku, ended) }).toEqual({ sku, disagreeing: [] });
		}
		expect({ sku, ...stock }).toMatchObject({ sku, ...expected });
	}

	// Payments settle after the order's end event: captures and voids are asynchronous.
	const paymentOf = (orderId: string) =>
		broker.call<{ status: string } | null, object>("payments.byOrder", { orderId });
	for (const order of orders) {
		const confirmed = ended.get(order.orderId)?.status === "CONFIRMED";
		const payment = await waitFor(
			`the payment of ${order.orderId} to settle`,
			async () => {
				const p = await paymentOf(order.orderId);
				if (confirmed) return p?.status === "CAPTURED" ? p : undefined;
				return p?.status === "AUTHORIZED" || p?.status === "CAPTURED" ? undefined : (p ?? { status: "NONE" });
			},
			60_000,
			200,
		).catch(async () => ({ status: `STUCK ${(await paymentOf(order.orderId))?.status}` }));
		expect([order.orderId, ended.get(order.orderId)?.status, payment.status]).toEqual([
			order.orderId,
			ended.get(order.orderId)?.status,
			confirmed ? "CAPTURED" : expect.not.stringMatching(/^(AUTHORIZED|CAPTURED|STUCK.*)$/),
		]);
	}
}

/** Orders whose hold in inventory does not say what their end says: `orderId ended -> hold (settled)`. */
async function holdsDisagreeing(
	broker: ServiceBroker,
	orders: readonly PlacedOrder[],
	ended: ReadonlyMap<string, OrderState>,
): Promise<string[]> {
	const disagreeing: string[] = [];
	for (const order of orders) {
		const end = ended.get(order.orderId)?.status;
		const hold = await broker
			.call<{ status: string; settled: boolean }, object>("inventory.orderHold", { orderId: order.orderId })
			.catch(() => null);
		const agrees = end === "CONFIRMED" ? hold?.status === "CONFIRMED" : hold !== null && hold.status !== "RESERVED";
		if (!agrees || !hold?.settled) {
			disagreeing.push(`${order.orderId} ${end} -> ${hold ? `${hold.status} (settled: ${hold.settled})` : "no hold"}`);
		}
	}
	return disagreeing;
}
