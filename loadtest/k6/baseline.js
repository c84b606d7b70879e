/**
 * baseline: the everyday mix at once, VUS in all: 60 % browse, 30 % cart, 10 % checkout (each a closed loop of its
 * own VUs), for DURATION, under every gate of those three flows. Each scenario runs its flow's function, which tags
 * its requests with that flow, so the per-flow gates see only their own requests.
 *
 *   k6 run -e OPERATOR_TOKEN=... loadtest/k6/baseline.js
 */
import exec from "k6/execution";
import http from "k6/http";
import { Counter, Rate } from "k6/metrics";
import {
	browseFlow,
	cartFlow,
	checkoutFlow,
	ensureBrowseCatalog,
	ensureCheckoutProducts,
	envDuration,
	envInt,
	newRunId,
	operatorToken,
	ownShopper,
	productPair,
	requireThresholds,
	signUpShoppers,
} from "./lib.js";

const SUITE = "baseline";
const GATES = JSON.parse(open("../gates.json"));
const THRESHOLDS = requireThresholds(GATES[SUITE][__ENV.GATE_PROFILE || "full"], SUITE);

const VUS = envInt("VUS", 200);
const DURATION = envDuration("DURATION", "60s");
const BROWSE_VUS = Math.max(1, Math.round(VUS * 0.6));
const CART_VUS = Math.max(1, Math.round(VUS * 0.3));
const CHECKOUT_VUS = Math.max(1, VUS - BROWSE_VUS - CART_VUS);

const cartConsistency = new Rate("cart_consistency");
const checkoutSuccess = new Rate("checkout_success");
const serverErrors = new Counter("server_errors");

export const options = {
	scenarios: {
		browse: { executor: "constant-vus", exec: "browse", vus: BROWSE_VUS, duration: DURATION },
		cart: { executor: "constant-vus", exec: "cart", vus: CART_VUS, duration: DURATION },
		checkout: { executor: "constant-vus", exec: "checkout", vus: CHECKOUT_VUS, duration: DURATION },
	},
	setupTimeout: "5m",
	thresholds: THRESHOLDS,
};

http.setResponseCallback(http.expectedStatuses(200, 201, 204));

/**
 * One shopper per VU of the whole test: k6 numbers VUs across the scenarios in no fixed order, so every VU id gets
 * a shopper of its own (browse VUs leave theirs unused) and no two cart VUs can share a cart.
 */
export function setup() {
	const operator = operatorToken();
	const productIds = ensureBrowseCatalog(operator);
	ensureCheckoutProducts(operator);
	const tokens = signUpShoppers(newRunId(), BROWSE_VUS + CART_VUS + CHECKOUT_VUS, "baseline");
	return { productIds: productIds, tokens: tokens };
}

function seedServerErrors() {
	// server_errors is gated on staying zero: one sample per VU gives the gate data when nothing goes wrong.
	if (exec.vu.iterationInScenario === 0) serverErrors.add(0);
}

export function browse() {
	seedServerErrors();
	browseFlow(serverErrors);
}

export function cart(data) {
	seedServerErrors();
	const shopper = ownShopper(data.tokens);
	const pair = productPair(data.productIds, shopper.index);
	cartFlow(shopper.token, pair[0], pair[1], { cartConsistency: cartConsistency, serverErrors: serverErrors });
}

export function checkout(data) {
	seedServerErrors();
	checkoutFlow(ownShopper(data.tokens).token, { checkoutSuccess: checkoutSuccess, serverErrors: serverErrors });
}
