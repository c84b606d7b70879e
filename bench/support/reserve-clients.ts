import type { ServiceBroker } from "moleculer";
import { RawHttpClient } from "./raw-http-client";
import type { ReserveClient } from "./scenario";

/** Calls `<service>.reserve` / `<service>.setStock` through the load broker, over NATS. */
export function moleculerClient(broker: ServiceBroker, service: string): ReserveClient {
	return {
		async setStock(sku, available) {
			await broker.call(`${service}.setStock`, { sku, available });
		},
		async reserve(orderId, sku) {
			await broker.call(`${service}.reserve`, { orderId, sku, quantity: 1 });
		},
	};
}

/** An HTTP reply other than 200: its label in the error counts is the status code. */
export class HttpStatusError extends Error {
	readonly type: string;
	constructor(readonly status: number) {
		super(`HTTP ${status}`);
		this.type = `HTTP_${status}`;
	}
}

/**
 * Calls the gateway's `POST /api/inventory/*` routes over keep-alive connections as `accessToken`'s
 * caller (setting stock needs the admin role); only a 200 is a success.
 */
export function httpClient(baseUrl: string, inflight: number, accessToken: string): ReserveClient & { close(): void } {
	const http = new RawHttpClient(new URL(baseUrl), inflight, {
		"X-API-Version": "v1",
		Authorization: `Bearer ${accessToken}`,
	});
	return {
		async setStock(sku, available) {
			const reply = await http.postJson("/api/inventory/stock", { sku, available });
			if (reply.status !== 200) throw new Error(`setStock over HTTP failed: ${reply.status} ${reply.body}`);
		},
		async reserve(orderId, sku) {
			const reply = await http.postJson("/api/inventory/reserve", { orderId, sku, quantity: 1 });
			if (reply.status !== 200) throw new HttpStatusError(reply.status);
		},
		close: () => http.close(),
	};
}
