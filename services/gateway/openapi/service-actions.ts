import type { ServiceSchema } from "moleculer";
import type { AppConfig } from "../../../config";
import { SERVICE_MODULES } from "../../index";

/** What the document needs of an action's definition. */
export interface ActionDefinition {
	params?: Record<string, unknown>;
}

type ServiceModule = ServiceSchema | ((config: AppConfig) => ServiceSchema);

/** A schema's actions with those of its mixins (the schema's own win, as Moleculer merges them). */
function actionsOf(schema: Partial<ServiceSchema>): Record<string, unknown> {
	const fromMixins = (schema.mixins ?? []).map((mixin) => actionsOf(mixin as Partial<ServiceSchema>));
	return Object.assign({}, ...fromMixins, schema.actions ?? {});
}

/**
 * Every service's actions by full name (`inventory.reserve`), read from the same schemas the nodes
 * create their services from, so the document describes the params the actions check. Building a
 * schema starts nothing: `created`/`started` run only on a broker. `skip` leaves out services by
 * their SERVICES name (the gateway, which calls this while it is being built).
 */
export function serviceActionDefinitions(
	config: AppConfig,
	skip: readonly string[] = [],
): Map<string, ActionDefinition> {
	const definitions = new Map<string, ActionDefinition>();
	for (const [key, modulePath] of Object.entries(SERVICE_MODULES)) {
		if (skip.includes(key)) continue;
		const exported = require(`../../${modulePath.replace(/^\.\//, "")}`).default as ServiceModule;
		const schema = typeof exported === "function" ? exported(config) : exported;
		for (const [name, action] of Object.entries(actionsOf(schema))) {
			if (action === false || action === undefined) continue;
			const params = typeof action === "object" ? (action as ActionDefinition).params : undefined;
			definitions.set(`${schema.name}.${name}`, { params });
		}
	}
	return definitions;
}
