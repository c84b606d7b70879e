/**
 * checkout: RATE orders a second for DURATION, each of one unit of a well-stocked SKU, placed by one of VUS
 * signed-up shoppers and followed until the saga ends it; checkout_success is the share that ended CONFIRMED.
 * An arrival rate, not a number of VUs, because an order's wait for the saga must not slow the orders placed.
 *
 *   k6 run -e OPERATOR_TOKEN=... loadtest/k6/checkout.js
 */
import exec from "k6/execution";
import http from "k6/http";
import { Counter, Rate } from "k6/metrics";
import {
	checkoutFlow,
	ensureCheckoutProducts,
	envDuration,
	envInt,
	newRunId,
	operatorToken,
	ownShopper,
	requireThresholds,
	signUpShoppers,
} from "./lib.js";

const SUITE = "checkout";
const GATES = JSON.parse(open("../gates.json"));
const THRESHOLDS = requireThresholds(GATES[SUITE][__ENV.GATE_PROFILE || "full"], SUITE);

const VUS = envInt("VUS", 200);

const checkoutSuccess = new Rate("checkout_success");
const serverErrors = new Counter("server_errors");

export const options = {
	scenarios: {
		[SUITE]: {
			executor: "constant-arrival-rate",
			rate: envInt("RATE", 50),
			timeUnit: "1s",
			duration: envDuration("DURATION", "60s"),
			// One shopper per VU, signed up in setup: the pool cannot grow past the shoppers there are.
			preAllocatedVUs: VUS,
			maxVUs: VUS,
		},
	},
	setupTimeout: "5m",
	thresholds: THRESHOLDS,
};

http.setResponseCallback(http.expectedStatuses(200, 201));

export function setup() {
	ensureCheckoutProducts(operatorToken());
	return { tokens: signUpShoppers(newRunId(), VUS, "checkout") };
}

export default function (data) {
	// server_errors is gated on staying zero: one sample per VU gives the gate data when nothing goes wrong.
	if (exec.vu.iterationInScenario === 0) serverErrors.add(0);
	checkoutFlow(ownShopper(data.tokens).token, { checkoutSuccess: checkoutSuccess, serverErrors: serverErrors });
}
