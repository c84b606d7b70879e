import type { ServiceBroker } from "moleculer";
import { signAccessToken } from "../../lib/auth/access-token";
import authService from "../../services/auth/auth.service";
import cartService from "../../services/cart/cart.service";
import gatewayService from "../../services/gateway/api.service";
import productsService from "../../services/products/products.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { gatewayBaseUrl } from "../support/http";

const ALLOWED = "https://shop.example";
const OTHER = "https://evil.example";

/** The headers of one answer (the body read, so the socket is free). */
async function headersOf(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers }> {
	const res = await fetch(url, init);
	await res.arrayBuffer();
	return { status: res.status, headers: res.headers };
}

function corsHeaders(headers: Headers): Record<string, string> {
	return Object.fromEntries([...headers].filter(([name]) => name.startsWith("access-control-")));
}

/**
 * The edge's headers through the real gateway (embedded SQLite): security headers on every answer, CORS for the
 * configured origins only; and the fallback answer when products has no node or its bulkhead is full.
 */
describe("the gateway's edge", () => {
	let withCors: ServiceBroker;
	let withoutCors: ServiceBroker;
	let base: string;
	let bare: string;
	let shopper: string;

	beforeAll(async () => {
		const config = testConfig({
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			CORS_ORIGINS: `${ALLOWED}, http://localhost:5173`,
			// One cart call at a time and none waiting: a burst must meet the full bulkhead.
			GATEWAY_DOWNSTREAM: JSON.stringify({ cart: { bulkheadConcurrency: 1, bulkheadMaxQueue: 0 } }),
		});
		withCors = await startBroker(config, [
			gatewayService(config),
			authService(config),
			productsService(config),
			cartService(config),
		]);
		base = gatewayBaseUrl(withCors);
		shopper = `Bearer ${await signAccessToken({ sub: `shopper-${uniqueId()}`, roles: ["customer"] }, config.auth)}`;
		// A gateway alone, without CORS_ORIGINS: no node offers products.
		const plain = testConfig({ DB_NAME_PREFIX: `shop_t${uniqueId()}_` });
		withoutCors = await startBroker(plain, [gatewayService(plain)]);
		bare = gatewayBaseUrl(withoutCors);
	});
	afterAll(async () => {
		await withCors?.stop();
		await withoutCors?.stop();
	});

	it("when the request line is over Node's header limit, then it is 431 with the standard error JSON", async () => {
		const res = await fetch(`${base}/api/products?q=${"x".repeat(20_000)}`, { headers: { "X-API-Version": "v1" } });
		expect(res.status).toBe(431);
		expect(res.headers.get("x-content-type-options")).toBe("nosniff");
		expect(await res.json()).toMatchObject({
			error: {
				status: 431,
				code: "HEADERS_TOO_LARGE",
				correlationId: expect.any(String),
				timestamp: expect.any(String),
			},
		});
	});

	it.each([
		["a 200", "/api/health", {}],
		["a 400", "/api/products", {}],
		["a 404", "/api/nowhere", { "x-api-version": "v1" }],
	])(
		"when the answer is %s, then it carries nosniff and a Referrer-Policy and no framework banner",
		async (_c, path, headers) => {
			const { headers: got } = await headersOf(`${base}${path}`, { headers });
			expect(got.get("x-content-type-options")).toBe("nosniff");
			expect(got.get("referrer-policy")).toBe("no-referrer");
			expect(got.get("x-powered-by")).toBeNull();
			expect(got.get("server")).toBeNull();
		},
	);

	it("when an allowed origin calls, then the answer allows that origin, exposes our headers and varies by Origin", async () => {
		const { status, headers } = await headersOf(`${base}/api/products`, {
			headers: { origin: ALLOWED, "x-api-version": "v1" },
		});
		expect(status).toBe(200);
		expect(headers.get("access-control-allow-origin")).toBe(ALLOWED);
		expect(headers.get("access-control-expose-headers")).toContain("X-Correlation-Id");
		expect(headers.get("vary")).toBe("Origin");
	});

	it("when another origin calls, then the answer carries no CORS header (the browser keeps it from the page)", async () => {
		const { status, headers } = await headersOf(`${base}/api/products`, {
			headers: { origin: OTHER, "x-api-version": "v1" },
		});
		expect(status).toBe(200);
		expect(corsHeaders(headers)).toEqual({});
		expect(headers.get("vary")).toBe("Origin");
	});

	it("when an allowed origin sends a preflight, then 204 names the methods and the headers it may send", async () => {
		const { status, headers } = await headersOf(`${base}/api/orders`, {
			method: "OPTIONS",
			headers: {
				origin: ALLOWED,
				"access-control-request-method": "POST",
				"access-control-request-headers": "authorization, content-type, idempotency-key, x-api-version",
			},
		});
		expect(status).toBe(204);
		expect(headers.get("access-control-allow-origin")).toBe(ALLOWED);
		expect(headers.get("access-control-allow-methods")?.split(", ")).toEqual(["GET", "POST", "PUT", "DELETE"]);
		const allowed = headers.get("access-control-allow-headers")?.toLowerCase().split(", ");
		expect(allowed).toEqual(
			expect.arrayContaining(["authorization", "content-type", "idempotency-key", "x-api-version"]),
		);
		expect(headers.get("access-control-max-age")).toBe("600");
		expect(headers.get("vary")).toBe("Origin");
	});

	it("when another origin sends a preflight, then it gets no CORS header", async () => {
		const { headers } = await headersOf(`${base}/api/orders`, {
			method: "OPTIONS",
			headers: { origin: OTHER, "access-control-request-method": "POST" },
		});
		expect(corsHeaders(headers)).toEqual({});
	});

	it("when CORS_ORIGINS is not set, then no origin gets CORS headers and a preflight is not answered", async () => {
		const get = await headersOf(`${bare}/api/health`, { headers: { origin: ALLOWED } });
		expect(corsHeaders(get.headers)).toEqual({});
		expect(get.headers.get("vary")).toBeNull();
		expect(get.headers.get("x-content-type-options")).toBe("nosniff");
		const preflight = await headersOf(`${bare}/api/products`, {
			method: "OPTIONS",
			headers: { origin: ALLOWED, "access-control-request-method": "GET" },
		});
		expect(preflight.status).not.toBe(204);
		expect(corsHeaders(preflight.headers)).toEqual({});
	});

	it("when no node offers products, then a products route answers the fallback at once: 503 with the service and Retry-After", async () => {
		const startedAt = performance.now();
		const res = await fetch(`${bare}/api/products`, { headers: { "x-api-version": "v1" } });
		const elapsed = performance.now() - startedAt;
		expect(res.status).toBe(503);
		expect(res.headers.get("retry-after")).toBe("1");
		expect(await res.json()).toMatchObject({
			error: { status: 503, code: "SERVICE_UNAVAILABLE", details: { service: "products", retryAfterS: 1 } },
		});
		expect(elapsed).toBeLessThan(100);
	});

	it("when the cart's bulkhead is full, then the calls past it answer the fallback and other routes are not affected", async () => {
		const answers = await Promise.all(
			Array.from({ length: 20 }, async () => {
				const startedAt = performance.now();
				// A shopper's cart is read from SQL: the calls overlap.
				const res = await fetch(`${base}/api/cart`, { headers: { "x-api-version": "v1", authorization: shopper } });
				const body = (await res.json()) as { error?: { details?: unknown } };
				return {
					status: res.status,
					ms: performance.now() - startedAt,
					body,
					retryAfter: res.headers.get("retry-after"),
				};
			}),
		);
		const refused = answers.filter((a) => a.status === 503);
		expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
		expect(refused.length).toBeGreaterThan(0);
		expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
		for (const answer of refused) {
			expect(answer.body.error?.details).toEqual({ service: "cart", retryAfterS: 1 });
			expect(answer.retryAfter).toBe("1");
		}
		expect((await fetch(`${base}/api/products`, { headers: { "x-api-version": "v1" } })).status).toBe(200);
	});
});
