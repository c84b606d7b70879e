/**
 * Broker options for this node, built from the validated environment (see config/). Kept at the
 * root so `moleculer-runner --config moleculer.config.ts` works as well as our own entry point.
 */
import { getConfig } from "./config";
import { brokerOptions } from "./wiring/broker-options";

export default brokerOptions(getConfig());
