/**
 * Baseline: browse, cart and checkout at once, as a shop's traffic mixes them: 60 % of the virtual
 * users browse, 30 % work their carts, 10 % check out (at the checkout suite's rate share). Every
 * flow keeps its own budget.
 */
import { ensureCatalog, ensureCheckoutStock } from "../catalog";
import type { Flow } from "../flow";
import { signUpShoppers } from "../identities";
import type { Suite, SuiteContext } from "../suite";
import { browseFlow } from "./browse";
import { cartFlow } from "./cart";
import { checkoutFlow, drainOrders } from "./checkout";

const SHARES = { browse: 0.6, cart: 0.3, checkout: 0.1 };
/** Checkout requests per second per checkout user when no --rate is given: orders/s the saga keeps up with. */
const CHECKOUT_RATE_PER_VU = 2.5;

export const baseline: Suite = {
	name: "baseline",
	description: "browse 60 %, cart 30 %, checkout 10 % of the users at once, each with its own budget",
	defaults: { vus: 200, rate: null, durationS: 60, requests: null },
	async prepare(context: SuiteContext) {
		const catalog = await ensureCatalog(context.api, context.operator);
		await ensureCheckoutStock(context.api, context.operator);
		const browseVus = Math.max(1, Math.round(context.vus * SHARES.browse));
		const cartVus = Math.max(1, Math.round(context.vus * SHARES.cart));
		const checkoutVus = Math.max(1, context.vus - browseVus - cartVus);
		const checkoutRate = context.rate ? Math.max(1, Math.round(context.rate * SHARES.checkout)) : null;
		context.log(`signing up ${cartVus + checkoutVus} shoppers`);
		const shoppers = await signUpShoppers(context.api, context.runId, cartVus + checkoutVus);
		const placed: string[] = [];
		const rateShare = (share: number) => (context.rate ? Math.max(1, Math.round(context.rate * share)) : null);
		const flows = [
			browseFlow(browseVus, rateShare(SHARES.browse), catalog),
			cartFlow(cartVus, rateShare(SHARES.cart), shoppers.slice(0, cartVus), catalog, context.recorder),
			checkoutFlow(
				checkoutVus,
				checkoutRate ?? Math.ceil(checkoutVus * CHECKOUT_RATE_PER_VU),
				shoppers.slice(cartVus),
				placed,
			),
		] as Flow<unknown>[];
		const drainS = context.extra.drain === undefined ? 120 : Number(context.extra.drain);
		return {
			flows,
			settings: { browseVus, cartVus, checkoutVus, drainS },
			check: () => drainOrders(context.api, context.operator, placed, drainS, context.recorder, context.log),
		};
	},
};
