/**
 * cart: VUS signed-up shoppers, each with their own cart, clear it, add two catalog products, remove one, and check
 * after every change that the cart shows exactly what was put in (cart_consistency), for DURATION.
 *
 *   k6 run -e OPERATOR_TOKEN=... loadtest/k6/cart.js
 */
import http from "k6/http";
import { Rate } from "k6/metrics";
import {
	cartFlow,
	ensureBrowseCatalog,
	envDuration,
	envInt,
	newRunId,
	operatorToken,
	ownShopper,
	productPair,
	requireThresholds,
	signUpShoppers,
} from "./lib.js";

const SUITE = "cart";
const GATES = JSON.parse(open("../gates.json"));
const THRESHOLDS = requireThresholds(GATES[SUITE][__ENV.GATE_PROFILE || "full"], SUITE);

const VUS = envInt("VUS", 200);

const cartConsistency = new Rate("cart_consistency");

export const options = {
	scenarios: {
		[SUITE]: { executor: "constant-vus", vus: VUS, duration: envDuration("DURATION", "60s") },
	},
	setupTimeout: "5m",
	thresholds: THRESHOLDS,
};

http.setResponseCallback(http.expectedStatuses(200, 204));

/** One shopper per VU: two VUs sharing a cart would see each other's lines and read as inconsistent. */
export function setup() {
	const productIds = ensureBrowseCatalog(operatorToken());
	return { productIds: productIds, tokens: signUpShoppers(newRunId(), VUS, "cart") };
}

export default function (data) {
	const shopper = ownShopper(data.tokens);
	const pair = productPair(data.productIds, shopper.index);
	cartFlow(shopper.token, pair[0], pair[1], { cartConsistency: cartConsistency });
}
