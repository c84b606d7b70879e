/**
 * Flash sale through checkout: buyers (signed-up shoppers) place orders of one unit of one SKU with
 * limited stock (`POST /api/orders`, paid by the sandbox); some send their order again with the same
 * Idempotency-Key, which must answer the same order. The saga decides each order after the answer,
 * so afterwards every order is followed until it ends, and the SKU's stock must hold exactly the
 * CONFIRMED orders: no oversell, no CONFIRMED order without its unit, no unit sold without an order,
 * nothing left held, and no order ended twice.
 */
import { randomUUID } from "node:crypto";
import type { Flow } from "../flow";
import type { CheckResult } from "../report/load-report";
import { bearer, inParallel, VERSION_HEADER } from "../shop-api";
import type { Suite, SuiteContext } from "../suite";
import { drainOrders } from "./checkout";
import { openFlashSale } from "./flash-sale-setup";

interface Buyer {
	headers: Record<string, string>;
	idempotencyKey: string;
	orderId: string | undefined;
}

export const flashSaleCheckout: Suite = {
	name: "flash-sale-checkout",
	description: "orders race for one SKU with limited stock; every order ends, stock holds exactly the CONFIRMED ones",
	defaults: { vus: 200, rate: null, durationS: null, requests: 5_000 },

	async prepare(context: SuiteContext) {
		const { api, operator, recorder } = context;
		const retryShare = context.extra["retry-share"] === undefined ? 0.05 : Number(context.extra["retry-share"]);
		const drainS = context.extra.drain === undefined ? 180 : Number(context.extra.drain);
		const { sku, units, users, shoppers } = await openFlashSale(context, "FLASH-CHK", 500);

		const placed = new Set<string>();
		const body = JSON.stringify({ items: [{ sku, quantity: 1 }], paymentMethod: "sandbox_authorize" });
		const order = (buyer: Buyer) => ({
			method: "POST" as const,
			path: "/api/orders",
			headers: { ...buyer.headers, "Idempotency-Key": buyer.idempotencyKey },
			body,
		});
		const flow: Flow<Buyer> = {
			name: "flash-sale-checkout",
			vus: context.vus,
			rate: context.rate,
			newUser: (index) => ({
				headers: { ...VERSION_HEADER, ...bearer((shoppers[index % shoppers.length] as { token: string }).token) },
				idempotencyKey: "",
				orderId: undefined,
			}),
			steps: [
				{
					name: "place_order",
					expect: [201],
					// Orders' back-pressure: "busy, come back after Retry-After" is an answer (counted by code).
					expectedErrors: ["CHECKOUT_BUSY"],
					request(buyer) {
						buyer.idempotencyKey = randomUUID();
						buyer.orderId = undefined;
						return order(buyer);
					},
					answer(buyer, status, text) {
						if (status === 503) return { outcome: "busy" };
						if (status !== 201) return undefined;
						buyer.orderId = (JSON.parse(text) as { orderId: string }).orderId;
						placed.add(buyer.orderId);
						return undefined;
					},
				},
				{
					name: "retry",
					// The same key again answers the order it made (200), never a second one.
					expect: [200],
					request: (buyer) => (buyer.orderId && Math.random() < retryShare ? order(buyer) : null),
					answer(buyer, status, text) {
						if (status === 200 && (JSON.parse(text) as { orderId: string }).orderId !== buyer.orderId) {
							recorder.add("double_reservations", 1);
						}
						return undefined;
					},
				},
			],
		};

		return {
			flows: [flow as Flow<unknown>],
			settings: { sku, units, users, retryShare, drainS },
			async check(): Promise<CheckResult[]> {
				const orderIds = [...placed];
				const ended = await drainOrders(api, operator, orderIds, drainS, recorder, context.log);
				const statuses = await inParallel(orderIds, 32, async (orderId) => {
					const answer = await api.call<{ status: string; reason: string | null }>("GET", `/api/orders/${orderId}`, {
						token: operator,
					});
					return answer.body;
				});
				const confirmed = statuses.filter((o) => o.status === "CONFIRMED").length;
				const soldOut = statuses.filter((o) => o.reason === "INSUFFICIENT_STOCK").length;
				const stock = (
					await api.expect<{ available: number; reserved: number; confirmed: number }>(
						[200],
						"GET",
						`/api/inventory/stock/${sku}`,
						{ token: operator },
					)
				).body;
				recorder.add("oversold", Math.max(0, stock.reserved + stock.confirmed - units));
				recorder.add("unbacked_successes", Math.max(0, confirmed - stock.confirmed));
				recorder.add("double_reservations", Math.max(0, stock.confirmed - confirmed));
				return [
					...ended,
					{
						name: "stock holds exactly the CONFIRMED orders",
						passed: stock.confirmed === confirmed && stock.reserved === 0,
						detail: `${confirmed} orders CONFIRMED, ${soldOut} CANCELLED for INSUFFICIENT_STOCK; the SKU: available ${stock.available}, reserved ${stock.reserved}, confirmed ${stock.confirmed} of ${units}`,
					},
					{
						name: "no oversell",
						passed:
							stock.reserved + stock.confirmed <= units && stock.available + stock.reserved + stock.confirmed === units,
						detail: `${stock.reserved + stock.confirmed} units held of ${units}`,
					},
				];
			},
		};
	},
};
