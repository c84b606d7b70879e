import type http from "node:http";
import type { AddressInfo } from "node:net";
import type { ServiceBroker } from "moleculer";

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
export async function stockViaGateway(baseUrl: string, sku: string): Promise<any> {
	return (await api(baseUrl, "GET", `/api/inventory/stock/${encodeURIComponent(sku)}`)).body;
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
