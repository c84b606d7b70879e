/**
 * When a service is down: real node processes over NATS (a gateway, the products service on its own node, and
 * auth, cart and inventory on another). Under a small concurrent load, the products node is killed: once the
 * gateway has dropped it, every products route answers the fallback (503 SERVICE_UNAVAILABLE naming products,
 * with Retry-After) within 100 ms, while cart and inventory routes keep answering; started again, products
 * answers once its breaker has let a trial through.
 */
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../config";
import { signAccessToken } from "../../lib/auth/access-token";
import { uniqueId } from "../support/brokers";
import { sleep, waitFor } from "../support/events/harness";
import { api } from "../support/http";
import { infra } from "../support/infra";
import { gatewayUrl, NodeProcess } from "../support/node-process";
import { testNamespace } from "../support/test-namespaces";

interface Answer {
	route: "products" | "cart" | "inventory";
	startedAt: number;
	endedAt: number;
	status: number;
	body: any;
	retryAfter: string | null;
}

const HEARTBEAT_TIMEOUT_MS = 2000;
const HALF_OPEN_S = 2;

describe("a service down behind the gateway", () => {
	const nodes: NodeProcess[] = [];
	afterAll(async () => {
		await Promise.all(nodes.map((n) => n.stop("SIGKILL")));
	});
	function start(env: Record<string, string>): NodeProcess {
		const node = NodeProcess.start(env);
		nodes.push(node);
		return node;
	}

	it("when the products node dies under load, then products routes answer the fallback at once while cart and inventory keep working, and products answers again once restarted", async () => {
		const cluster = { TRANSPORTER: infra.natsUrl, NAMESPACE: testNamespace("e2e"), LOG_FORMAT: "json" };
		const edge = start({
			...cluster,
			NODE_ID: `edge-${uniqueId()}`,
			SERVICES: "gateway",
			PORT: "0",
			// A short window and half-open time, so the breaker opens and recovers within the test.
			GATEWAY_DOWNSTREAM: JSON.stringify({
				products: { breakerMinRequests: 5, breakerWindowS: 1, breakerHalfOpenS: HALF_OPEN_S },
			}),
		});
		start({ ...cluster, NODE_ID: `core-${uniqueId()}`, SERVICES: "auth,cart,inventory" });
		// The products node keeps its SQLite catalog across its restart.
		const productsEnv = {
			...cluster,
			SERVICES: "products",
			DATA_DIR: path.join(os.tmpdir(), `shop-e2e-${uniqueId()}`),
		};
		const products = start({ ...productsEnv, NODE_ID: `products-${uniqueId()}` });
		const url = await gatewayUrl(edge);

		const offered = async () =>
			(
				(await (await fetch(`${url}/api/health`)).json()) as {
					nodes: Array<{ available: boolean; services: string[] }>;
				}
			).nodes
				.filter((n) => n.available)
				.flatMap((n) => n.services);
		await waitFor("every service on the gateway", async () => {
			const services = await offered();
			return ["auth", "cart", "inventory", "products"].every((s) => services.includes(s)) || undefined;
		});

		const admin = `Bearer ${await signAccessToken({ sub: "e2e-operator", roles: ["admin"] }, loadConfig({}).auth)}`;
		const sku = `DOWN-${uniqueId()}`;
		const created = await api(
			url,
			"POST",
			"/api/products",
			{ sku, name: "Mug", category: "mugs", priceCents: 900, currency: "EUR" },
			{ authorization: admin },
		);
		expect(created.status).toBe(201);
		const productId = created.body.id as string;
		expect(
			(await api(url, "POST", "/api/inventory/stock", { sku, available: 10 }, { authorization: admin })).status,
		).toBe(200);
		const added = await api(url, "POST", "/api/cart/items", { productId, quantity: 2 });
		expect(added.status).toBe(200);
		const cartId = added.body.cartId as string;

		// The load: four clients on products routes, one on cart and inventory, until told to stop.
		const answers: Answer[] = [];
		let running = true;
		const call = async (route: Answer["route"], pathAndQuery: string, headers: Record<string, string> = {}) => {
			const startedAt = performance.now();
			const res = await fetch(`${url}${pathAndQuery}`, { headers: { "x-api-version": "v1", ...headers } });
			const body = await res.json();
			answers.push({
				route,
				startedAt,
				endedAt: performance.now(),
				status: res.status,
				body,
				retryAfter: res.headers.get("retry-after"),
			});
		};
		const productClient = async (i: number) => {
			while (running) {
				await call("products", i % 2 ? `/api/products/${productId}` : "/api/products?limit=5");
				// A small load (a few hundred requests a second), not one that takes both of a CI machine's cores.
				await sleep(5);
			}
		};
		const otherClient = async () => {
			while (running) {
				await call("cart", `/api/cart?cartId=${cartId}`);
				await call("inventory", `/api/inventory/stock/${sku}`, { authorization: admin });
			}
		};
		const load = Promise.all([0, 1, 2, 3].map(productClient).concat(otherClient()));

		await sleep(1000);
		const killedAt = performance.now();
		await products.stop("SIGKILL");
		await waitFor(
			"products gone from the gateway's registry",
			async () => !(await offered()).includes("products") || undefined,
		);
		const goneAt = performance.now();
		// An add needs the product checked: the cart's own 503, not products' fallback.
		const addWhileDown = await api(url, "POST", "/api/cart/items", { productId, cartId });
		await sleep(3000);
		const outageEndsAt = performance.now();

		start({ ...productsEnv, NODE_ID: `products-${uniqueId()}` });
		await waitFor(
			"products back in the gateway's registry",
			async () => (await offered()).includes("products") || undefined,
			60_000,
		);
		const backAt = performance.now();
		await waitFor(
			"products answering again",
			async () => answers.some((a) => a.route === "products" && a.startedAt > backAt && a.status === 200) || undefined,
		);
		await sleep(500);
		running = false;
		await load;

		const during = (route: Answer["route"], from: number, to: number) =>
			answers.filter((a) => a.route === route && a.startedAt >= from && a.startedAt < to);

		// Once the node is gone: every products answer is the fallback, each within 100 ms.
		const fallbacks = during("products", goneAt, outageEndsAt);
		expect(fallbacks.length).toBeGreaterThan(20);
		for (const a of fallbacks) {
			expect(a.status).toBe(503);
			expect(a.body.error).toMatchObject({ code: "SERVICE_UNAVAILABLE", details: { service: "products" } });
			expect(Number(a.retryAfter)).toBe(a.body.error.details.retryAfterS);
		}
		const fallbackMs = fallbacks.map((a) => a.endedAt - a.startedAt).sort((a, b) => a - b);
		expect(fallbackMs.at(-1)).toBeLessThan(100);
		// A call in flight at the kill waits at most for the heartbeat timeout, then answers the fallback too.
		const caught = during("products", killedAt, goneAt).filter((a) => a.status !== 200);
		for (const a of caught) {
			expect(a.body.error.details?.service).toBe("products");
			expect(a.endedAt - a.startedAt).toBeLessThan(HEARTBEAT_TIMEOUT_MS + 1000);
		}

		// Cart and inventory keep answering: the cart at the prices it knew, never products' error.
		const carts = during("cart", goneAt, outageEndsAt);
		const stock = during("inventory", goneAt, outageEndsAt);
		expect(carts.length).toBeGreaterThan(3);
		expect(stock.length).toBeGreaterThan(3);
		for (const a of carts) {
			expect(a.status).toBe(200);
			expect(a.body).toMatchObject({ catalogUnavailable: true, items: [{ productId, quantity: 2, priceCents: 900 }] });
		}
		for (const a of stock) expect([a.status, a.body.available]).toEqual([200, 10]);
		expect([addWhileDown.status, addWhileDown.body.error.code]).toEqual([503, "CATALOG_UNAVAILABLE"]);

		// The breaker opened during the outage, and closed again after its trial once products was back.
		await edge.waitForOutput(/Circuit breaker of products opened/);
		await edge.waitForOutput(/products answers again/);
		const firstAnswer = answers.find(
			(a) => a.route === "products" && a.startedAt > backAt && a.status === 200,
		) as Answer;
		expect(firstAnswer.startedAt - backAt).toBeLessThan(HALF_OPEN_S * 1000 + 1000);
		const cartAfter = await api(url, "GET", `/api/cart?cartId=${cartId}`);
		expect(cartAfter.body.catalogUnavailable).toBeUndefined();

		const median = fallbackMs[Math.floor(fallbackMs.length / 2)] as number;
		const p99 = fallbackMs[Math.floor(fallbackMs.length * 0.99)] as number;
		process.stdout.write(
			`fallback answers after the node was gone: ${fallbackMs.length}, median ${median.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${(fallbackMs.at(-1) as number).toFixed(1)} ms; ` +
				`gone from the registry ${(goneAt - killedAt).toFixed(0)} ms after the kill; calls caught in flight: ${caught.length}, ` +
				`longest ${Math.max(0, ...caught.map((a) => a.endedAt - a.startedAt)).toFixed(0)} ms; first 200 ${(firstAnswer.startedAt - backAt).toFixed(0)} ms after products was back\n`,
		);
	}, 180_000);
});
