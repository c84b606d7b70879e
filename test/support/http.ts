import type http from "node:http";
import type { AddressInfo } from "node:net";
import type { ServiceBroker } from "moleculer";
import type { AppConfig } from "../../config";
import { signAccessToken } from "../../lib/auth/access-token";

/** Base URL of the gateway running in `broker`. */
export function gatewayBaseUrl(broker: ServiceBroker): string {
	const api = broker.getLocalService("api") as unknown as { server: http.Server };
	return `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
}

export interface JsonResponse<T = any> {
	status: number;
	body: T;
	headers: Headers;
}

/** A v1 API call with a JSON body (or a raw string body, to send what JSON.stringify cannot). */
export async function api<T = any>(
	baseUrl: string,
	method: string,
	path: string,
	body?: unknown,
	headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
	const res = await fetch(`${baseUrl}${path}`, {
		method,
		headers: { "content-type": "application/json", "x-api-version": "v1", ...headers },
		body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
	});
	const text = await res.text();
	return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** A SKU's stock view, read through the gateway. */
export async function stockViaGateway(
	baseUrl: string,
	sku: string,
	headers: Record<string, string> = {},
): Promise<any> {
	return (await api(baseUrl, "GET", `/api/inventory/stock/${encodeURIComponent(sku)}`, undefined, headers)).body;
}

/**
 * `api` and `stockViaGateway` as an operator: with an access token of the admin role signed with
 * `auth`, for specs about what lies behind the gateway's token check (the gateway's node must run
 * the auth service, or reach one).
 */
export async function asOperator(
	auth: AppConfig["auth"],
): Promise<{ api: typeof api; stockViaGateway: typeof stockViaGateway; authorization: string }> {
	const token = await signAccessToken({ sub: "test-operator", roles: ["admin"] }, auth);
	const authorization = `Bearer ${token}`;
	return {
		authorization,
		api: (baseUrl, method, path, body, headers = {}) => api(baseUrl, method, path, body, { authorization, ...headers }),
		stockViaGateway: (baseUrl, sku, headers = {}) => stockViaGateway(baseUrl, sku, { authorization, ...headers }),
	};
}

/** The one error body every gateway error has (for `toMatchObject`). */
export const ERROR_SHAPE = {
	error: {
		status: expect.any(Number),
		code: expect.any(String),
		message: expect.any(String),
		correlationId: expect.any(String),
		timestamp: expect.any(String),
	},
};
