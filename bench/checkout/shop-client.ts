import { setTimeout as sleep } from "node:timers/promises";
import { signAccessToken } from "../../lib/auth/access-token";
import { ADMIN_ROLE } from "../../services/gateway/admin-routes";
import { BENCH_JWT_SECRET } from "../support/approaches";
import { HttpStatusError } from "../support/reserve-clients";
import { type HttpPool, headerLines } from "./http-pool";

const TOKEN_SETTINGS = { jwtSecret: BENCH_JWT_SECRET, jwtIssuer: "shop", accessTokenTtlS: 86_400 };
export const TERMINAL = ["CONFIRMED", "CANCELLED", "TIMED_OUT"];

/** An order as `GET /api/orders/{id}` answers it, with its times in epoch ms. */
export interface OrderOutcome {
	orderId: string;
	status: string;
	reason: string | null;
	createdAt: number;
	/** When the order reached its terminal status (the history entry's `at`); undefined while open. */
	endedAt: number | undefined;
	/** Terminal entries in its history: exactly one once it ended. */
	terminalEntries: number;
}

/** The operator's header lines (products, stock, reading any order). */
export async function operatorHeaders(): Promise<string> {
	return headerLines(await signAccessToken({ sub: "bench-operator", roles: [ADMIN_ROLE] }, TOKEN_SETTINGS));
}

/**
 * Header lines for `count` distinct shoppers `<prefix>-<i>`, signed as the auth service signs
 * (customer role). Signed before a phase starts, so signing costs the load generator nothing while
 * it measures.
 */
export async function shopperHeaders(prefix: string, count: number): Promise<string[]> {
	const headers: string[] = [];
	for (let i = 0; i < count; i++) {
		headers.push(headerLines(await signAccessToken({ sub: `${prefix}-${i}`, roles: ["customer"] }, TOKEN_SETTINGS)));
	}
	return headers;
}

export function orderBody(sku: string): string {
	return JSON.stringify({ items: [{ sku, quantity: 1 }], paymentMethod: "sandbox_authorize" });
}

/** The Retry-After of a 503 CHECKOUT_BUSY body (its `details.retryAfterS`, else 1 s); undefined for any other answer. */
function busyRetryAfterS(body: string): number | undefined {
	try {
		const error = (JSON.parse(body) as { error?: { code?: string; details?: { retryAfterS?: number } } }).error;
		return error?.code === "CHECKOUT_BUSY" ? (error.details?.retryAfterS ?? 1) : undefined;
	} catch {
		return undefined;
	}
}

/** The calls the bench makes through the gateway. */
export class ShopClient {
	constructor(
		readonly pool: HttpPool,
		private readonly operator: string,
	) {}

	async createProduct(sku: string, priceCents: number): Promise<void> {
		const body = JSON.stringify({ sku, name: `Bench ${sku}`, category: "bench-checkout", priceCents, currency: "EUR" });
		const reply = await this.pool.request("POST", "/api/products", this.operator, body);
		if (reply.status !== 201) throw new Error(`POST /api/products ${sku}: ${reply.status} ${reply.body}`);
	}

	async setStock(sku: string, available: number): Promise<void> {
		const reply = await this.pool.request(
			"POST",
			"/api/inventory/stock",
			this.operator,
			JSON.stringify({ sku, available }),
		);
		if (reply.status !== 200) throw new Error(`POST /api/inventory/stock ${sku}: ${reply.status} ${reply.body}`);
	}

	async stock(sku: string): Promise<{ available: number; reserved: number; confirmed: number }> {
		const reply = await this.pool.request("GET", `/api/inventory/stock/${encodeURIComponent(sku)}`, this.operator);
		if (reply.status !== 200) throw new Error(`GET /api/inventory/stock/${sku}: ${reply.status} ${reply.body}`);
		return JSON.parse(reply.body);
	}

	/** 503 CHECKOUT_BUSY answers (orders' back-pressure) that placeOrder waited out and sent again. */
	busyAnswers = 0;

	/**
	 * `POST /api/orders` as the shopper `headers` names; the order id of a 201, else HttpStatusError. As a
	 * client does, a 503 CHECKOUT_BUSY (nothing written) is sent again after its Retry-After, so the time
	 * to a placed order includes the wait.
	 */
	async placeOrder(headers: string, body: string): Promise<string> {
		for (;;) {
			const reply = await this.pool.request("POST", "/api/orders", headers, body);
			if (reply.status === 201) return (JSON.parse(reply.body) as { orderId: string }).orderId;
			const retryAfterS = reply.status === 503 ? busyRetryAfterS(reply.body) : undefined;
			if (retryAfterS === undefined) throw new HttpStatusError(reply.status);
			this.busyAnswers++;
			await sleep(retryAfterS * 1000);
		}
	}

	async order(orderId: string): Promise<OrderOutcome> {
		const reply = await this.pool.request("GET", `/api/orders/${orderId}`, this.operator);
		if (reply.status !== 200) throw new Error(`GET /api/orders/${orderId}: ${reply.status} ${reply.body}`);
		const view = JSON.parse(reply.body) as {
			orderId: string;
			status: string;
			reason: string | null;
			createdAt: string;
			history: Array<{ status: string; at: string }>;
		};
		const terminal = view.history.filter((h) => TERMINAL.includes(h.status));
		const ended = terminal.find((h) => h.status === view.status);
		return {
			orderId: view.orderId,
			status: view.status,
			reason: view.reason,
			createdAt: Date.parse(view.createdAt),
			endedAt: ended ? Date.parse(ended.at) : undefined,
			terminalEntries: terminal.length,
		};
	}

	/** Every order, `concurrency` reads at a time. */
	async orders(orderIds: readonly string[], concurrency: number): Promise<OrderOutcome[]> {
		const outcomes: OrderOutcome[] = new Array(orderIds.length);
		let next = 0;
		const worker = async () => {
			while (next < orderIds.length) {
				const i = next++;
				outcomes[i] = await this.order(orderIds[i] as string);
			}
		};
		await Promise.all(Array.from({ length: Math.min(concurrency, orderIds.length) }, worker));
		return outcomes;
	}
}
