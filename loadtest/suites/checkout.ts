/**
 * Checkout: signed-up shoppers place an order for one unit of a well-stocked product
 * (`POST /api/orders` with an Idempotency-Key, paid with the sandbox's `sandbox_authorize`) and open
 * it. After the load every placed order is followed until it ends: the share that reaches CONFIRMED
 * is `checkout_success` (budget > 95 %); p95 < 320 ms, failures < 5 %.
 */
import { randomUUID } from "node:crypto";
import { CHECKOUT_SKUS, ensureCheckoutStock } from "../catalog";
import type { Flow } from "../flow";
import { type Shopper, signUpShoppers } from "../identities";
import type { Recorder } from "../recorder";
import type { CheckResult } from "../report/load-report";
import { bearer, inParallel, type ShopApi, VERSION_HEADER } from "../shop-api";
import type { Suite, SuiteContext } from "../suite";

const TERMINAL = new Set(["CONFIRMED", "CANCELLED", "TIMED_OUT"]);
const DEFAULT_DRAIN_S = 120;

interface Buyer {
	headers: Record<string, string>;
	sku: string;
	orderId: string | undefined;
}

export function checkoutFlow(vus: number, rate: number | null, shoppers: Shopper[], placed: string[]): Flow<Buyer> {
	return {
		name: "checkout",
		vus,
		rate,
		newUser: (index) => ({
			headers: { ...VERSION_HEADER, ...bearer((shoppers[index % shoppers.length] as Shopper).token) },
			sku: CHECKOUT_SKUS[index % CHECKOUT_SKUS.length] as string,
			orderId: undefined,
		}),
		steps: [
			{
				name: "place_order",
				expect: [201],
				// Orders' back-pressure: "busy, come back after Retry-After" is an answer (counted by code).
				expectedErrors: ["CHECKOUT_BUSY"],
				request: (buyer) => ({
					method: "POST",
					path: "/api/orders",
					headers: { ...buyer.headers, "Idempotency-Key": randomUUID() },
					body: JSON.stringify({ items: [{ sku: buyer.sku, quantity: 1 }], paymentMethod: "sandbox_authorize" }),
				}),
				answer(buyer, status, body) {
					buyer.orderId = status === 201 ? (JSON.parse(body) as { orderId: string }).orderId : undefined;
					if (buyer.orderId) placed.push(buyer.orderId);
					return status === 503 ? { outcome: "busy" } : undefined;
				},
			},
			{
				name: "view_order",
				expect: [200],
				request: (buyer) =>
					buyer.orderId ? { method: "GET", path: `/api/orders/${buyer.orderId}`, headers: buyer.headers } : null,
			},
		],
	};
}

interface OrderView {
	status: string;
	history: { status: string }[];
}

/**
 * Follows every placed order until it ends or `drainS` has passed; records `checkout_success` per
 * order (CONFIRMED) and answers the checks: every order ended, exactly once.
 */
export async function drainOrders(
	api: ShopApi,
	operator: string,
	placed: string[],
	drainS: number,
	recorder: Recorder,
	log: (line: string) => void,
): Promise<CheckResult[]> {
	const started = Date.now();
	const ended = new Map<string, OrderView>();
	let open = [...placed];
	while (open.length > 0 && Date.now() - started < drainS * 1000) {
		await inParallel(open, 32, async (orderId) => {
			const answer = await api.call<OrderView>("GET", `/api/orders/${orderId}`, { token: operator });
			if (answer.status === 200 && TERMINAL.has(answer.body.status)) ended.set(orderId, answer.body);
		});
		open = open.filter((orderId) => !ended.has(orderId));
		if (open.length > 0) await new Promise((resolve) => setTimeout(resolve, 500));
	}
	const drainedS = (Date.now() - started) / 1000;
	log(`${ended.size} of ${placed.length} orders ended ${drainedS.toFixed(1)} s after the load`);
	const byStatus: Record<string, number> = {};
	for (const order of ended.values()) byStatus[order.status] = (byStatus[order.status] ?? 0) + 1;
	for (const orderId of placed) recorder.rate("checkout_success", ended.get(orderId)?.status === "CONFIRMED");
	const endedTwice = [...ended.values()].filter(
		(order) => order.history.filter((entry) => TERMINAL.has(entry.status)).length !== 1,
	).length;
	return [
		{
			name: "every order ended",
			passed: open.length === 0,
			detail: `${placed.length} placed: ${JSON.stringify(byStatus)}, ${open.length} still open after ${drainedS.toFixed(1)} s`,
		},
		{
			name: "each ended exactly once",
			passed: endedTwice === 0,
			detail: `${endedTwice} orders with more than one terminal status in their history`,
		},
	];
}

export const checkout: Suite = {
	name: "checkout",
	description: "shoppers place and open orders; after the load every order must end; p95 < 320 ms, success > 95 %",
	defaults: { vus: 200, rate: 100, durationS: 60, requests: null },
	async prepare(context: SuiteContext) {
		await ensureCheckoutStock(context.api, context.operator);
		const users = context.users ?? Math.min(context.vus, 200);
		context.log(`signing up ${users} shoppers`);
		const shoppers = await signUpShoppers(context.api, context.runId, users);
		const placed: string[] = [];
		const drainS = context.extra.drain === undefined ? DEFAULT_DRAIN_S : Number(context.extra.drain);
		return {
			flows: [checkoutFlow(context.vus, context.rate, shoppers, placed) as Flow<unknown>],
			settings: { users, drainS, skus: CHECKOUT_SKUS.length },
			check: () => drainOrders(context.api, context.operator, placed, drainS, context.recorder, context.log),
		};
	},
};
