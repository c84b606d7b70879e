import type { ServiceBroker } from "moleculer";
import type { AppConfig } from "./index";

declare module "moleculer" {
	interface BrokerOptions {
		/** The validated configuration this broker was built from (never broadcast to peers). */
		appConfig?: AppConfig;
	}
}

/** The configuration a broker was built with; services and mixins read settings from here. */
export function appConfigOf(broker: ServiceBroker): AppConfig {
	const config = broker.options.appConfig;
	if (!config) throw new Error("broker was not built with brokerOptions(config)");
	return config;
}
