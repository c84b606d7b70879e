import { ServiceBroker } from "moleculer";
import { loadConfig } from "../../config";
import { brokerOptions } from "../../wiring/broker-options";
import { onCleanup } from "./cleanup";

/**
 * The load generator's broker: a service-less node of the cluster, built with the shop's own
 * broker options (so it registers the SkuAffinity strategy and uses the same serializer, timeouts
 * and circuit breaker as the gateway does when it calls inventory).
 */
export async function startLoadBroker(env: Record<string, string>): Promise<ServiceBroker> {
	const config = loadConfig({ SERVICES: "none", NODE_ID: `bench-load-${process.pid}`, ...env });
	// Moleculer's own SIGINT handler would exit the process before the bench has cleaned up.
	const broker = new ServiceBroker({ ...brokerOptions(config), skipProcessEventRegistration: true });
	await broker.start();
	onCleanup("stop load broker", () => broker.stop());
	return broker;
}
