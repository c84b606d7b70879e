/**
 * The gateway's OpenAPI document, built as the gateway builds it (its own route settings, the services'
 * own schemas): valid OpenAPI 3.1 by a maintained validator, every routed action in it, nothing else.
 */
import { Validators } from "moleculer";
import { getConfig } from "../../../config";
import { ADMIN_ALIASES } from "../../../services/gateway/admin-routes";
import gatewayService from "../../../services/gateway/api.service";
import * as apiRoutes from "../../../services/gateway/api-routes";
import { type GatewayRoute, gatewayOpenApiJson } from "../../../services/gateway/openapi/gateway-openapi";
import { buildOpenApiDocument } from "../../../services/gateway/openapi/openapi-document";
import { REQUEST_EXAMPLES } from "../../../services/gateway/openapi/request-examples";
import { serviceActionDefinitions } from "../../../services/gateway/openapi/service-actions";
import { validateOpenApi } from "../../support/openapi-validator";

type Operation = {
	operationId: string;
	security: unknown[];
	parameters?: Array<Record<string, any>>;
	requestBody?: { required: boolean; content: Record<string, { schema: any; example?: unknown }> };
	responses: Record<string, unknown>;
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: any };

const config = getConfig();
const gateway = gatewayService(config) as unknown as {
	name: string;
	settings: { routes: GatewayRoute[] };
	actions: Record<string, unknown>;
};
const document = JSON.parse(
	gatewayOpenApiJson(config, { name: gateway.name, routes: gateway.settings.routes, actions: gateway.actions }),
) as Document;

const operations = Object.entries(document.paths).flatMap(([path, byMethod]) =>
	Object.entries(byMethod).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
);

function operationOf(method: string, path: string): Operation {
	const operation = document.paths[path]?.[method];
	if (!operation) throw new Error(`no ${method.toUpperCase()} ${path} in the document`);
	return operation;
}

/** Every alias table the gateway routes, by its export name. */
const ALIAS_TABLES: Record<string, Record<string, string>> = {
	ADMIN_ALIASES,
	...Object.fromEntries(
		Object.entries(apiRoutes).filter(([name, value]) => name.endsWith("_ALIASES") && typeof value === "object"),
	),
} as Record<string, Record<string, string>>;

describe("the OpenAPI document", () => {
	it("when validated by @seriousme/openapi-schema-validator, then it is a valid OpenAPI 3.1 document", () => {
		const result = validateOpenApi(document);
		expect(result.errors).toBeUndefined();
		expect(result.valid).toBe(true);
		expect(document.openapi).toBe("3.1.0");
		// The validator does check: the same document without its info is refused.
		expect(validateOpenApi({ ...document, info: undefined }).valid).toBe(false);
	});

	it("when read for the inventory reserve, then it has its body schema, the version header and a bearer token", () => {
		const reserve = operationOf("post", "/api/inventory/reserve");
		expect(reserve.operationId).toBe("inventory.reserve");
		expect(reserve.security).toEqual([{ bearerAuth: [] }]);
		expect(reserve.parameters).toContainEqual({ $ref: "#/components/parameters/ApiVersion" });
		const body = reserve.requestBody?.content["application/json"];
		expect(body?.schema.required).toEqual(["orderId", "sku", "quantity"]);
		expect(body?.schema.properties.quantity).toEqual({
			type: "integer",
			exclusiveMinimum: 0,
			maximum: config.inventory.maxQuantityPerOrder,
		});
		expect(body?.example).toEqual(REQUEST_EXAMPLES["inventory.reserve"]);
		expect(Object.keys(reserve.responses)).toEqual(expect.arrayContaining(["200", "400", "401", "409", "503"]));
		expect(document.components.parameters.ApiVersion).toMatchObject({
			name: "X-API-Version",
			in: "header",
			required: true,
			schema: { enum: ["v1"] },
		});
	});

	it("when read for the products list, then its query parameters are optional and a token is too", () => {
		const list = operationOf("get", "/api/products");
		expect(list.operationId).toBe("products.list");
		expect(list.security).toEqual([{}, { bearerAuth: [] }]);
		const query: Record<string, Record<string, any>> = Object.fromEntries(
			(list.parameters ?? []).filter((p) => p.in === "query").map((p) => [p.name, p] as const),
		);
		expect(Object.keys(query).sort()).toEqual(
			["activeOnly", "category", "maxPriceCents", "minPriceCents", "page", "q", "size", "sort"].sort(),
		);
		expect(Object.values(query).every((p) => p.required === false)).toBe(true);
		expect(query.page?.schema).toEqual({ type: "integer", minimum: 1, maximum: 10_000, default: 1 });
		expect(list.requestBody).toBeUndefined();
	});

	it("when an operation needs the admin role, then its security names it and it answers 403", () => {
		const setStock = operationOf("post", "/api/inventory/stock");
		expect(setStock.security).toEqual([{ bearerAuth: ["admin"] }]);
		expect(setStock.responses["403"]).toEqual({ $ref: "#/components/responses/Error403" });
		expect(operationOf("get", "/api/admin/outbox").security).toEqual([{ bearerAuth: ["admin"] }]);
	});

	it("when a route is public and unversioned, then it has no security and no version header", () => {
		for (const [method, path] of [
			["post", "/api/auth/login"],
			["post", "/api/payments/webhook"],
			["get", "/api/health"],
		] as const) {
			const operation = operationOf(method, path);
			expect(operation.parameters ?? []).not.toContainEqual({ $ref: "#/components/parameters/ApiVersion" });
		}
		expect(operationOf("post", "/api/payments/webhook").security).toEqual([]);
		expect(operationOf("get", "/api/auth/validate").security).toEqual([{ bearerAuth: [] }]);
	});

	it("when every alias of every route table is looked up, then each is an operation of its action", () => {
		const documented = operations.map(({ method, path, operation }) => ({ method, path, id: operation.operationId }));
		const missing: string[] = [];
		expect(Object.keys(ALIAS_TABLES).length).toBeGreaterThanOrEqual(10);
		for (const [table, aliases] of Object.entries(ALIAS_TABLES)) {
			for (const [alias, action] of Object.entries(aliases)) {
				const [method, aliasPath = "/"] = alias.split(" ") as [string, string];
				const suffix = aliasPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}").replace(/\/$/, "");
				const found = documented.some((o) => o.method === method && o.id === action && o.path.endsWith(suffix));
				if (!found) missing.push(`${table}: ${alias} -> ${action}`);
			}
		}
		expect(missing).toEqual([]);
	});

	it("when its operations are listed, then each is a routed action and no internal action is among them", () => {
		const routed = new Set(Object.values(ALIAS_TABLES).flatMap((aliases) => Object.values(aliases)));
		routed.add("api.health");
		const ids = operations.map((o) => o.operation.operationId);
		expect(ids.filter((id) => !routed.has(id))).toEqual([]);
		expect(new Set(ids).size).toBe(ids.length);
		for (const internal of [
			"auth.validate",
			"auth.sweepRefreshTokens",
			"inventory.reserveBatch",
			"inventory.expire",
			"products.getMany",
			"payments.byOrder",
			"search.status",
			"orders.inspect",
		]) {
			expect(ids).not.toContain(internal);
		}
	});

	it("when every error response is read, then it is the standard error shape", () => {
		const error = document.components.schemas.Error;
		expect(error.required).toEqual(["error"]);
		expect(error.properties.error.required).toEqual(["status", "code", "message", "correlationId", "timestamp"]);
		for (const { operation } of operations) {
			for (const [status, response] of Object.entries(operation.responses)) {
				if (Number(status) >= 400 && operation.operationId !== "api.health") {
					expect(response).toEqual({ $ref: `#/components/responses/Error${status}` });
				}
			}
		}
	});

	it("when each request example is checked by its action's own params, then it passes", () => {
		const actions = serviceActionDefinitions(config, ["gateway"]);
		const validator = new Validators.Fastest();
		const failures: Record<string, unknown> = {};
		for (const [action, example] of Object.entries(REQUEST_EXAMPLES)) {
			const params = actions.get(action)?.params;
			expect(params).toBeDefined();
			const check = validator.compile(params as Record<string, unknown>) as (value: object) => true | unknown[];
			const result = check(structuredClone(example));
			if (result !== true) failures[action] = result;
		}
		expect(failures).toEqual({});
	});

	it("when a route names an action no service defines, then building the document fails", () => {
		expect(() =>
			buildOpenApiDocument({
				routes: [{ path: "/api/x", aliases: { "GET /": "nobody.nothing" } }],
				actions: new Map(),
				roleNeededFor: () => undefined,
				requiresApiVersion: () => true,
				apiVersion: "v1",
				adminRole: "admin",
				release: "0.0.0",
			}),
		).toThrow(/unknown action nobody\.nothing/);
	});
});
