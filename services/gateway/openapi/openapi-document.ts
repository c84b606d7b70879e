/**
 * The gateway's OpenAPI 3.1 document, built from its route tables and the actions' `params`: a pure
 * function of both, so the document cannot drift from what the gateway routes and the actions check.
 */
import {
	CALLER_REQUIRED_BY_ACTION,
	ERROR_STATUSES_BY_SERVICE,
	HEADERS_BY_ACTION,
	RAW_BODY_DESCRIPTION,
	SUCCESS_STATUSES,
} from "./action-http-facts";
import { isOptionalRule, type JsonSchema, paramsSchema, toJsonSchema } from "./fastest-validator-to-json-schema";
import { REQUEST_EXAMPLES } from "./request-examples";
import type { ActionDefinition } from "./service-actions";

/** A moleculer-web route as the gateway defines it (the fields the document reads). */
export interface GatewayRoute {
	path: string;
	aliases: Record<string, unknown>;
	authentication?: boolean;
	authorization?: string;
	rateLimit?: unknown;
	/** Set by the gateway's route helper: whether the route checks `X-API-Version`, and reads the body raw. */
	describe?: { versioned?: boolean; rawBody?: boolean };
}

export interface DocumentSources {
	routes: readonly GatewayRoute[];
	actions: ReadonlyMap<string, ActionDefinition>;
	/** The role an action needs beyond a valid token (api-routes.ts `roleNeededFor`). */
	roleNeededFor(action: string): string | undefined;
	/** Whether the version guard asks this URL for `X-API-Version` (some paths are exempt). */
	requiresApiVersion(url: string): boolean;
	/** The API version clients send, and the admin role's name. */
	apiVersion: string;
	adminRole: string;
	/** The service's release (package.json). */
	release: string;
}

type Access = { kind: "public" } | { kind: "optional-token" } | { kind: "token"; role?: string };

type OpenApiObject = Record<string, unknown>;

const STATUS_TEXT: Record<number, string> = {
	200: "OK",
	201: "Created",
	202: "Accepted",
	204: "No content",
	400: "Bad request: a parameter, the body or the X-API-Version header is not valid",
	401: "No valid access token (or credentials, or webhook signature)",
	403: "The token lacks the role the operation needs",
	404: "Not found",
	409: "Conflict with the resource's current state",
	413: "The request body is too large",
	415: "The request body's encoding or charset is not supported",
	429: "Too many requests (rate limit or a full queue); see Retry-After",
	431: "The request line and headers are over the server's limit (16 KB)",
	502: "An upstream provider (an OpenID provider) failed",
	503: "A service is unavailable; retry later (see Retry-After)",
	504: "A service did not answer in time",
};

/** The authorization hooks of api.service.ts, as access rules. */
function accessOf(route: GatewayRoute, action: string, sources: DocumentSources): Access {
	if (route.authentication !== true) return { kind: "public" };
	const role = sources.roleNeededFor(action);
	switch (route.authorization) {
		case undefined:
			return CALLER_REQUIRED_BY_ACTION.has(action) ? { kind: "token" } : { kind: "optional-token" };
		case "requireAdmin":
			return { kind: "token", role: sources.adminRole };
		case "requireCaller":
			return { kind: "token", role };
		case "requireRoleIfAny":
			return role === undefined ? { kind: "optional-token" } : { kind: "token", role };
		default:
			throw new Error(
				`OpenAPI: route ${route.path} has an authorization hook the document does not know: ${route.authorization}`,
			);
	}
}

function securityOf(access: Access): unknown[] {
	switch (access.kind) {
		case "public":
			return [];
		case "optional-token":
			return [{}, { bearerAuth: [] }];
		case "token":
			// OpenAPI 3.1: for a non-OAuth scheme the list names the roles the operation needs.
			return [{ bearerAuth: access.role ? [access.role] : [] }];
	}
}

/** `"POST /:orderId/cancel"` under `/api/orders` as method, OpenAPI path and its path parameters. */
function parseAlias(routePath: string, alias: string): { method: string; path: string; pathParams: string[] } {
	const [method, aliasPath = "/"] = alias.trim().split(/\s+/) as [string, string | undefined];
	const pathParams: string[] = [];
	const joined = `${routePath}/${aliasPath.replace(/^\//, "")}`.replace(/\/$/, "") || "/";
	const path = joined.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
		pathParams.push(name);
		return `{${name}}`;
	});
	return { method: method.toLowerCase(), path, pathParams };
}

const hasBody = (method: string) => method === "post" || method === "put" || method === "patch";

function fieldsOf(params: Record<string, unknown> | undefined): Array<[string, unknown]> {
	return Object.entries(params ?? {}).filter(([name]) => !name.startsWith("$$"));
}

function parametersOf(
	method: string,
	pathParams: string[],
	params: Record<string, unknown> | undefined,
	example: Record<string, unknown> | undefined,
): OpenApiObject[] {
	const parameters: OpenApiObject[] = [];
	const rules = new Map(fieldsOf(params));
	for (const name of pathParams) {
		parameters.push(
			withExample({ name, in: "path", required: true, schema: pathSchema(rules.get(name)) }, example?.[name]),
		);
	}
	if (hasBody(method)) return parameters;
	for (const [name, rule] of rules) {
		if (pathParams.includes(name)) continue;
		const parameter = { name, in: "query", required: !isOptionalRule(rule), schema: toJsonSchema(rule) };
		parameters.push(withExample(parameter, example?.[name]));
	}
	return parameters;
}

/** A path segment is never empty: a rule without a minimum length still needs one character. */
function pathSchema(rule: unknown): JsonSchema {
	if (rule === undefined) return { type: "string", minLength: 1 };
	const schema = toJsonSchema(rule);
	if (schema.type === "string" && schema.format === undefined && schema.minLength === undefined) schema.minLength = 1;
	return schema;
}

function withExample(parameter: OpenApiObject, example: unknown): OpenApiObject {
	return example === undefined ? parameter : { ...parameter, example };
}

function requestBodyOf(
	params: Record<string, unknown> | undefined,
	pathParams: string[],
	example: Record<string, unknown> | undefined,
): OpenApiObject | undefined {
	if (params === undefined) return undefined;
	const bodyFields = Object.fromEntries(Object.entries(params).filter(([name]) => !pathParams.includes(name)));
	const schema = paramsSchema(bodyFields);
	if (Object.keys((schema.properties as object) ?? {}).length === 0) return undefined;
	const bodyExample =
		example && Object.fromEntries(Object.entries(example).filter(([name]) => !pathParams.includes(name)));
	return {
		required: Array.isArray(schema.required) && schema.required.length > 0,
		content: { "application/json": { schema, ...(bodyExample ? { example: bodyExample } : {}) } },
	};
}

function successResponse(status: number): OpenApiObject {
	if (status === 204) return { description: STATUS_TEXT[204] };
	return {
		description: STATUS_TEXT[status] ?? "Success",
		content: { "application/json": { schema: {} } },
	};
}

function errorStatusesOf(
	action: string,
	access: Access,
	method: string,
	pathParams: string[],
	route: GatewayRoute,
): number[] {
	// 431: Node refuses a request line and headers over its limit (a very long query string) before any route.
	const statuses = new Set<number>([400, 431, 503, 504]);
	const service = action.split(".")[0] as string;
	for (const status of ERROR_STATUSES_BY_SERVICE[service] ?? [404, 409]) statuses.add(status);
	if (route.authentication === true || access.kind === "token") statuses.add(401);
	if (access.kind === "token" && access.role) statuses.add(403);
	if (pathParams.length > 0) statuses.add(404);
	if (hasBody(method)) {
		statuses.add(413);
		statuses.add(415);
	}
	if (route.rateLimit !== undefined) statuses.add(429);
	if (action === "api.health") statuses.delete(400);
	return [...statuses].sort((a, b) => a - b);
}

function operationOf(route: GatewayRoute, alias: string, action: string, sources: DocumentSources) {
	const { method, path, pathParams } = parseAlias(route.path, alias);
	const params = sources.actions.get(action)?.params;
	const access = accessOf(route, action, sources);
	const example = REQUEST_EXAMPLES[action];
	const parameters = parametersOf(method, pathParams, params, example);
	const versioned = route.describe?.versioned !== false && sources.requiresApiVersion(path);
	if (versioned) parameters.unshift({ $ref: "#/components/parameters/ApiVersion" });
	for (const header of HEADERS_BY_ACTION[action] ?? []) parameters.push({ in: "header", required: false, ...header });

	const responses: Record<string, unknown> = {};
	for (const status of SUCCESS_STATUSES[action] ?? [200]) responses[String(status)] = successResponse(status);
	for (const status of errorStatusesOf(action, access, method, pathParams, route)) {
		responses[String(status)] = { $ref: `#/components/responses/Error${status}` };
	}

	const operation: OpenApiObject = {
		operationId: action,
		summary: action,
		tags: [action.split(".")[0]],
		security: securityOf(access),
		...(parameters.length > 0 ? { parameters } : {}),
	};
	const body = route.describe?.rawBody
		? {
				required: true,
				description: RAW_BODY_DESCRIPTION,
				content: { "application/json": { schema: { type: "object" } } },
			}
		: hasBody(method)
			? requestBodyOf(params, pathParams, example)
			: undefined;
	if (body) operation.requestBody = body;
	operation.responses = responses;
	return { method, path, operation };
}

const ERROR_BODY_SCHEMA: JsonSchema = {
	type: "object",
	required: ["error"],
	properties: {
		error: {
			type: "object",
			required: ["status", "code", "message", "correlationId", "timestamp"],
			properties: {
				status: { type: "integer", minimum: 400, maximum: 599 },
				code: {
					type: "string",
					description: "Stable, for clients to branch on (VALIDATION_ERROR, SKU_NOT_FOUND, ...)",
				},
				message: { type: "string" },
				correlationId: { type: "string", description: "Also the X-Correlation-Id response header" },
				timestamp: { type: "string", format: "date-time" },
				details: { description: "Per code: the invalid fields of a VALIDATION_ERROR, the ids concerned, ..." },
			},
		},
	},
	example: {
		error: {
			status: 409,
			code: "INSUFFICIENT_STOCK",
			message: "Not enough stock of DEMO-TSHIRT: 5 requested, 2 available",
			correlationId: "2f1c8a9e-6c1d-4f0e-9d5b-7a0e3c4b5d6f",
			timestamp: "2026-12-06T20:15:03.412Z",
			details: { sku: "DEMO-TSHIRT", requested: 5, available: 2 },
		},
	},
};

function errorResponses(): Record<string, unknown> {
	const responses: Record<string, unknown> = {};
	for (const status of Object.keys(STATUS_TEXT).map(Number)) {
		if (status < 400) continue;
		responses[`Error${status}`] = {
			description: STATUS_TEXT[status],
			content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
		};
	}
	return responses;
}

/** Builds the document. Throws when a route names an action the services do not define. */
export function buildOpenApiDocument(sources: DocumentSources): OpenApiObject {
	const paths: Record<string, Record<string, unknown>> = {};
	for (const route of sources.routes) {
		for (const [alias, target] of Object.entries(route.aliases)) {
			// Function aliases (the docs page itself) are not operations of the API.
			if (typeof target !== "string") continue;
			if (!sources.actions.has(target))
				throw new Error(`OpenAPI: ${route.path} ${alias} names an unknown action ${target}`);
			const { method, path, operation } = operationOf(route, alias, target, sources);
			paths[path] ??= {};
			(paths[path] as Record<string, unknown>)[method] = operation;
		}
	}
	return {
		openapi: "3.1.0",
		info: {
			title: "Shop API",
			version: sources.release,
			description: [
				"The shop's HTTP API, generated from the gateway's routes and the actions' parameter schemas.",
				`Every route outside /api/auth, /api/health and the payment webhook needs \`X-API-Version: ${sources.apiVersion}\`.`,
				"Access tokens come from /api/auth/login (or `npm run token` for operators) and go in `Authorization: Bearer <token>`.",
				"Every error answers the same JSON shape (components/schemas/Error).",
			].join("\n\n"),
		},
		paths,
		components: {
			securitySchemes: {
				bearerAuth: {
					type: "http",
					scheme: "bearer",
					bearerFormat: "JWT",
					description: `An access token; operations listing a role (${sources.adminRole}) need a token with it.`,
				},
			},
			parameters: {
				ApiVersion: {
					name: "X-API-Version",
					in: "header",
					required: true,
					description: "The API version the client speaks.",
					schema: { type: "string", enum: [sources.apiVersion] },
					example: sources.apiVersion,
				},
			},
			schemas: { Error: ERROR_BODY_SCHEMA },
			responses: errorResponses(),
		},
	};
}
