import type { ServiceBroker, ServiceSchema } from "moleculer";
import type { AppConfig } from "../config";
import { ALL_SERVICES, SERVICE_MODULES } from "../services";

type ServiceModule = ServiceSchema | ((config: AppConfig) => ServiceSchema);

export class UnknownServiceError extends Error {}

/** SERVICES=none starts a node without services: a REPL or a spare that only joins the cluster. */
const NO_SERVICES = "none";

/** The services a node runs: those named in SERVICES, else all. Unknown names are an error. */
export function selectServices(config: AppConfig): string[] {
	if (config.services.length === 1 && config.services[0] === NO_SERVICES) return [];
	const names = config.services.length > 0 ? config.services : ALL_SERVICES;
	const unknown = names.filter((name) => !SERVICE_MODULES[name]);
	if (unknown.length > 0) {
		throw new UnknownServiceError(
			`invalid configuration: SERVICES: unknown service(s) ${unknown.join(", ")} (known: ${ALL_SERVICES.join(", ")})`,
		);
	}
	return names;
}

/** Creates the named services on the broker. A module exports a schema or a factory of one. */
export function loadServices(broker: ServiceBroker, config: AppConfig, names: readonly string[]): void {
	for (const name of names) {
		const modulePath = SERVICE_MODULES[name] as string;
		const exported = require(`../services/${modulePath.replace(/^\.\//, "")}`).default as ServiceModule;
		broker.createService(typeof exported === "function" ? exported(config) : exported);
	}
}
