/**
 * Cart: each virtual user is a signed-up shopper with a cart of their own: empty it, add two
 * products, read it back, remove one, read it again. A read that does not show exactly what the
 * shopper's own writes left counts against consistency (budget > 99 %), p95 < 220 ms, failures < 3 %.
 */
import { type CatalogProduct, ensureCatalog } from "../catalog";
import type { Flow } from "../flow";
import { type Shopper, signUpShoppers } from "../identities";
import type { Recorder } from "../recorder";
import { bearer, VERSION_HEADER } from "../shop-api";
import type { Suite, SuiteContext } from "../suite";

interface CartShopper {
	headers: Record<string, string>;
	first: string;
	second: string;
}

type CartItem = { productId: string; quantity: number };

/** True when the cart answer holds exactly `expected` (product id -> quantity). */
function holdsExactly(body: string, expected: Record<string, number>): boolean {
	const items = (JSON.parse(body) as { items: CartItem[] }).items;
	return (
		items.length === Object.keys(expected).length && items.every((item) => expected[item.productId] === item.quantity)
	);
}

export function cartFlow(
	vus: number,
	rate: number | null,
	shoppers: Shopper[],
	catalog: CatalogProduct[],
	recorder: Recorder,
): Flow<CartShopper> {
	const consistent = (expected: (shopper: CartShopper) => Record<string, number>) => ({
		name: "view",
		expect: [200],
		request: (shopper: CartShopper) => ({ method: "GET" as const, path: "/api/cart", headers: shopper.headers }),
		answer(shopper: CartShopper, status: number, body: string) {
			if (status === 200) recorder.rate("cart_consistency", holdsExactly(body, expected(shopper)));
			return undefined;
		},
	});
	const add = (productOf: (shopper: CartShopper) => string, quantity: number) => ({
		name: "add",
		expect: [200],
		request: (shopper: CartShopper) => ({
			method: "POST" as const,
			path: "/api/cart/items",
			headers: shopper.headers,
			body: JSON.stringify({ productId: productOf(shopper), quantity }),
		}),
	});
	return {
		name: "cart",
		vus,
		rate,
		newUser(index) {
			// One shopper per virtual user: two users writing one cart would read each other's writes.
			const shopper = shoppers[index % shoppers.length] as Shopper;
			return {
				headers: { ...VERSION_HEADER, ...bearer(shopper.token) },
				first: (catalog[(index * 2) % catalog.length] as CatalogProduct).id,
				second: (catalog[(index * 2 + 1) % catalog.length] as CatalogProduct).id,
			};
		},
		steps: [
			{
				name: "clear",
				expect: [204],
				request: (shopper) => ({ method: "DELETE", path: "/api/cart", headers: shopper.headers }),
			},
			add((shopper) => shopper.first, 1),
			add((shopper) => shopper.second, 2),
			consistent((shopper) => ({ [shopper.first]: 1, [shopper.second]: 2 })),
			{
				name: "remove",
				expect: [200],
				request: (shopper) => ({
					method: "DELETE",
					path: `/api/cart/items/${shopper.first}`,
					headers: shopper.headers,
				}),
			},
			consistent((shopper) => ({ [shopper.second]: 2 })),
		],
	};
}

export const cart: Suite = {
	name: "cart",
	description:
		"each shopper empties, fills, reads and trims their cart; p95 < 220 ms, failures < 3 %, consistency > 99 %",
	defaults: { vus: 200, rate: null, durationS: 60, requests: null },
	async prepare(context: SuiteContext) {
		const catalog = await ensureCatalog(context.api, context.operator);
		const users = context.users ?? context.vus;
		if (users < context.vus)
			throw new Error(`the cart suite needs a shopper per virtual user: --users >= ${context.vus}`);
		context.log(`signing up ${users} shoppers`);
		const shoppers = await signUpShoppers(context.api, context.runId, users);
		return {
			flows: [cartFlow(context.vus, context.rate, shoppers, catalog, context.recorder) as Flow<unknown>],
			settings: { users },
			check: async () => [],
		};
	},
};
