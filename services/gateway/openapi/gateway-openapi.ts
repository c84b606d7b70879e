import type { IncomingMessage } from "node:http";
import type { AppConfig } from "../../../config";
import { ADMIN_ROLE } from "../admin-routes";
import { roleNeededFor } from "../api-routes";
import { checkApiVersion, SUPPORTED_API_VERSION } from "../version-guard";
import { buildOpenApiDocument, type GatewayRoute } from "./openapi-document";
import { type ActionDefinition, serviceActionDefinitions } from "./service-actions";

export type { GatewayRoute };

/** The gateway as the document sees it: its routes and its own actions (health). */
export interface GatewayDescription {
	name: string;
	routes: readonly GatewayRoute[];
	actions: Record<string, unknown>;
}

/** Asks the version guard itself, so the document's exemptions are the guard's. */
function requiresApiVersion(url: string): boolean {
	try {
		checkApiVersion({ url, headers: {} } as IncomingMessage);
		return false;
	} catch {
		return true;
	}
}

/** The gateway's OpenAPI document as JSON text, built once (at start) and served as it is. */
export function gatewayOpenApiJson(config: AppConfig, gateway: GatewayDescription): string {
	const actions = serviceActionDefinitions(config, ["gateway"]);
	for (const [name, action] of Object.entries(gateway.actions)) {
		const params = typeof action === "object" ? (action as ActionDefinition | null)?.params : undefined;
		actions.set(`${gateway.name}.${name}`, { params });
	}
	const document = buildOpenApiDocument({
		routes: gateway.routes,
		actions,
		roleNeededFor,
		requiresApiVersion,
		apiVersion: SUPPORTED_API_VERSION,
		adminRole: ADMIN_ROLE,
		release: (require("../../../package.json") as { version: string }).version,
	});
	return JSON.stringify(document);
}
