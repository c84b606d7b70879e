/**
 * Flash sale: thousands of buyers (distinct orders of signed-up shoppers) race for one SKU with
 * limited stock through `POST /api/inventory/reserve`; some retry the same order id (which must
 * return the same reservation), some release what they got. Afterwards the SKU's stock must hold
 * exactly the reservations that were answered 200 and not released: no oversell, no reservation
 * without a success, no success without a reservation, no 5xx.
 */
import type { Flow } from "../flow";
import type { CheckResult } from "../report/load-report";
import { bearer, VERSION_HEADER } from "../shop-api";
import type { Suite, SuiteContext } from "../suite";
import { openFlashSale } from "./flash-sale-setup";

type OrderState = "reserved" | "released" | "refused" | "unknown";

interface Buyer {
	index: number;
	token: string;
	orders: number;
	orderId: string;
	/** What the last reserve of `orderId` got, to choose the follow-up. */
	last: "reserved" | "refused" | "other";
}

const share = (extra: Record<string, string>, name: string, fallback: number) => {
	const value = extra[name] === undefined ? fallback : Number(extra[name]);
	if (!(value >= 0 && value <= 1)) throw new Error(`--${name} must be a share between 0 and 1`);
	return value;
};

export const flashSale: Suite = {
	name: "flash-sale",
	description: "buyers race for one SKU with limited stock; zero oversell, every success backed by one reservation",
	defaults: { vus: 200, rate: null, durationS: null, requests: 50_000 },

	async prepare(context: SuiteContext) {
		const { api, operator, runId, recorder } = context;
		const retryShare = share(context.extra, "retry-share", 0.05);
		const releaseShare = share(context.extra, "release-share", 0.02);
		const { sku, units, users, shoppers } = await openFlashSale(context, "FLASH", 5_000);

		const orders = new Map<string, { state: OrderState; reservationId?: string }>();
		const reserved = (orderId: string, reservationId: string) => {
			const order = orders.get(orderId);
			if (order?.reservationId && order.reservationId !== reservationId) recorder.add("double_reservations", 1);
			orders.set(orderId, { state: "reserved", reservationId: order?.reservationId ?? reservationId });
		};
		const answered = (buyer: Buyer, status: number, body: string) => {
			if (status === 200) {
				reserved(buyer.orderId, (JSON.parse(body) as { reservationId: string }).reservationId);
				buyer.last = "reserved";
				return undefined;
			}
			const order = orders.get(buyer.orderId);
			if (status === 409) {
				if (!order) orders.set(buyer.orderId, { state: "refused" });
				buyer.last = "refused";
				return { outcome: "sold_out" };
			}
			// No answer or a 5xx: the order may or may not hold a unit; a 429 QUEUE_FULL stored nothing.
			if (status !== 429 && order?.state !== "reserved") orders.set(buyer.orderId, { state: "unknown" });
			buyer.last = "other";
			return undefined;
		};
		const reserveOf = (buyer: Buyer) => ({
			method: "POST" as const,
			path: "/api/inventory/reserve",
			headers: { ...VERSION_HEADER, ...bearer(buyer.token) },
			body: JSON.stringify({ orderId: buyer.orderId, sku, quantity: 1 }),
		});

		const flow: Flow<Buyer> = {
			name: "flash-sale",
			vus: context.vus,
			rate: context.rate,
			newUser: (index) => ({
				index,
				token: (shoppers[index % shoppers.length] as { token: string }).token,
				orders: 0,
				orderId: "",
				last: "other",
			}),
			steps: [
				{
					name: "reserve",
					expect: [200, 409, 429],
					request(buyer) {
						buyer.orderId = `fs-${runId}-${buyer.index}-${buyer.orders++}`;
						return reserveOf(buyer);
					},
					answer: answered,
				},
				{
					name: "retry",
					expect: [200, 409, 429],
					request: (buyer) => (buyer.last !== "other" && Math.random() < retryShare ? reserveOf(buyer) : null),
					answer: answered,
				},
				{
					name: "release",
					expect: [200],
					request: (buyer) =>
						buyer.last === "reserved" && Math.random() < releaseShare
							? {
									method: "POST",
									path: "/api/inventory/release",
									headers: { ...VERSION_HEADER, ...bearer(buyer.token) },
									body: JSON.stringify({ orderId: buyer.orderId, sku }),
								}
							: null,
					answer(buyer, status) {
						if (status === 200) orders.set(buyer.orderId, { state: "released" });
						else orders.set(buyer.orderId, { state: "unknown" });
						return undefined;
					},
				},
			],
		};

		return {
			flows: [flow as Flow<unknown>],
			settings: { sku, units, users, retryShare, releaseShare },
			async check(): Promise<CheckResult[]> {
				const stock = (
					await api.expect<{ available: number; reserved: number; confirmed: number }>(
						[200],
						"GET",
						`/api/inventory/stock/${sku}`,
						{ token: operator },
					)
				).body;
				const count = (state: OrderState) => [...orders.values()].filter((order) => order.state === state).length;
				const holding = count("reserved");
				const unknown = count("unknown");
				const held = stock.reserved + stock.confirmed;
				recorder.add("oversold", Math.max(0, held - units));
				recorder.add("unbacked_successes", Math.max(0, holding - stock.reserved));
				recorder.add("double_reservations", Math.max(0, stock.reserved - holding - unknown));
				const soldOut = recorder.samples.filter((sample) => sample.outcome === "sold_out").length;
				return [
					{
						name: "stock adds up",
						passed: stock.available + held === units && stock.available >= 0,
						detail: `available ${stock.available} + reserved ${stock.reserved} + confirmed ${stock.confirmed} = ${stock.available + held} of ${units} set`,
					},
					{
						name: "no oversell",
						passed: held <= units,
						detail: `${held} units held of ${units}`,
					},
					{
						name: "every success backed by exactly one reservation",
						passed: holding <= stock.reserved && stock.reserved <= holding + unknown,
						detail: `${holding} orders answered 200 and not released, ${unknown} without a known outcome; the SKU holds ${stock.reserved} reserved`,
					},
					{
						name: "sold out",
						passed: true,
						detail: `${count("released")} released, ${soldOut} answers were sold out (409); ${stock.available} units left`,
					},
				];
			},
		};
	},
};
