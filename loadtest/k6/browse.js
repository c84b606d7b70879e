/**
 * browse: VUS anonymous shoppers page, filter and search the catalog and open products, for DURATION, with no think
 * time between iterations (sleep(0)): the gate is on latency under as much read load as the VUs can make.
 *
 *   k6 run -e OPERATOR_TOKEN=... loadtest/k6/browse.js
 */
import http from "k6/http";
import { browseFlow, ensureBrowseCatalog, envDuration, envInt, operatorToken, requireThresholds } from "./lib.js";

const SUITE = "browse";
const GATES = JSON.parse(open("../gates.json"));
const THRESHOLDS = requireThresholds(GATES[SUITE][__ENV.GATE_PROFILE || "full"], SUITE);

export const options = {
	scenarios: {
		[SUITE]: { executor: "constant-vus", vus: envInt("VUS", 200), duration: envDuration("DURATION", "60s") },
	},
	setupTimeout: "5m",
	thresholds: THRESHOLDS,
};

http.setResponseCallback(http.expectedStatuses(200));

/** The operator's token is needed only here, to make sure the catalog exists; browsing itself is anonymous. */
export function setup() {
	ensureBrowseCatalog(operatorToken());
}

export default function () {
	browseFlow();
}
