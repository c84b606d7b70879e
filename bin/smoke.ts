/**
 * `npm run smoke -- [--url http://127.0.0.1:3000] [--expect a,b,...]`: checks a running shop as a new user
 * would after starting it: the health of every expected service, a browse, a search, a cart, a reservation (stock set
 * by an operator token signed like `npm run token`, so JWT_SECRET must be the gateway's), the admin outbox
 * route, and the REPL's `outbox` command (run on a short-lived node joining TRANSPORTER/NAMESPACE, when
 * TRANSPORTER is set). One line per check; exit 1 naming the first failure.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { ServiceBroker } from "moleculer";
import { getConfig } from "../config";
import { signAccessToken } from "../lib/auth/access-token";
import { operatorCommands } from "../lib/repl/operator-commands";
import { brokerOptions } from "../wiring/broker-options";

const DEFAULT_EXPECTED = ["api", "auth", "users", "products", "cart", "inventory", "events", "search"];

class SmokeFailure extends Error {}

function check(condition: unknown, what: string): asserts condition {
	if (!condition) throw new SmokeFailure(what);
}

async function call(base: string, method: string, path: string, token?: string, body?: unknown) {
	const res = await fetch(`${base}${path}`, {
		method,
		headers: {
			"X-API-Version": "v1",
			...(token ? { Authorization: `Bearer ${token}` } : {}),
			...(body === undefined ? {} : { "Content-Type": "application/json" }),
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		json = text;
	}
	return { status: res.status, json: json as Record<string, any> };
}

async function step(name: string, run: () => Promise<string>): Promise<void> {
	const started = Date.now();
	const detail = await run();
	process.stdout.write(`ok   ${name} (${Date.now() - started} ms) ${detail}\n`);
}

/** The REPL's `outbox`, run as an operator would: on a node of the cluster, printing what it prints. */
async function replOutbox(): Promise<string> {
	const config = getConfig();
	const broker = new ServiceBroker({
		...brokerOptions({ ...config, nodeId: `smoke-${randomUUID().slice(0, 8)}` }),
		logger: false,
		metrics: { enabled: false },
		middlewares: [],
	});
	await broker.start();
	try {
		await broker.waitForServices("events", 10_000);
		const printed: string[] = [];
		const outbox = operatorCommands((text) => printed.push(text)).find((c) => c.command.startsWith("outbox"));
		await outbox?.action(broker, { options: {} } as never);
		const text = printed.join("\n");
		check(text.length > 0 && !/Error|not running/i.test(text), `REPL outbox printed: ${text || "(nothing)"}`);
		return `${text.split("\n").length} line(s)`;
	} finally {
		await broker.stop();
	}
}

async function main(): Promise<void> {
	const { values } = parseArgs({ options: { url: { type: "string" }, expect: { type: "string" } } });
	const base = `${(values.url ?? "http://127.0.0.1:3000").replace(/\/$/, "")}/api`;
	const expected = values.expect ? values.expect.split(",").map((s) => s.trim()) : DEFAULT_EXPECTED;
	const config = getConfig();
	const admin = await signAccessToken({ sub: "smoke-operator", roles: ["admin"] }, config.auth);

	let running = new Set<string>();
	await step("health", async () => {
		const { status, json } = await call(base, "GET", "/health");
		check(status === 200, `GET /api/health answered ${status}: ${JSON.stringify(json)}`);
		running = new Set<string>(
			(json.nodes as Array<{ available: boolean; services: string[] }>)
				.filter((n) => n.available)
				.flatMap((n) => n.services),
		);
		const missing = expected.filter((s) => !running.has(s));
		check(missing.length === 0, `services expected but running nowhere: ${missing.join(", ")}`);
		const gone = (json.cluster?.unavailable ?? []) as Array<{ service: string }>;
		check(gone.length === 0, `services gone from the cluster: ${gone.map((g) => g.service).join(", ")}`);
		return `${json.nodes.length} node(s), ${running.size} service(s)`;
	});

	let product: { id: string; sku: string; name: string } | undefined;
	await step("browse", async () => {
		const { status, json } = await call(base, "GET", "/products?size=5");
		check(status === 200, `GET /api/products answered ${status}`);
		product = (json.items as Array<{ id: string; sku: string; name: string; active: boolean }>).find((p) => p.active);
		check(product, "the catalog has no active product to put in a cart (seed one or set SEED_DEMO_DATA)");
		return `${json.total} product(s)`;
	});

	await step("search", async () => {
		const word = encodeURIComponent(product?.name.split(/\s+/)[0] ?? "a");
		const { status, json } = await call(base, "GET", `/search/products?q=${word}&size=5`);
		check(status === 200, `GET /api/search/products answered ${status}: ${JSON.stringify(json)}`);
		return `${json.total} hit(s) for "${decodeURIComponent(word)}"`;
	});

	let user = "";
	await step("cart", async () => {
		const signup = await call(base, "POST", "/auth/signup", undefined, {
			email: `smoke-${randomUUID()}@example.com`,
			password: "a long smoke-test password",
		});
		check(signup.status === 201 || signup.status === 200, `signup answered ${signup.status}`);
		user = signup.json.accessToken;
		const added = await call(base, "POST", "/cart/items", user, { productId: product?.id, quantity: 2 });
		check(added.status === 200, `POST /api/cart/items answered ${added.status}: ${JSON.stringify(added.json)}`);
		const cart = await call(base, "GET", "/cart", user);
		const line = (cart.json.items ?? []).find((i: { productId: string }) => i.productId === product?.id);
		check(line?.quantity === 2, `the cart does not hold what was added: ${JSON.stringify(cart.json)}`);
		return `2 x ${product?.sku}`;
	});

	await step("reservation", async () => {
		const sku = `SMOKE-${randomUUID().slice(0, 8)}`;
		const stocked = await call(base, "POST", "/inventory/stock", admin, { sku, available: 3 });
		check(
			stocked.status === 200,
			`POST /api/inventory/stock answered ${stocked.status}: ${JSON.stringify(stocked.json)}`,
		);
		const orderId = `smoke-${randomUUID()}`;
		const reserved = await call(base, "POST", "/inventory/reserve", user, { orderId, sku, quantity: 2 });
		check(reserved.json.status === "RESERVED", `reserve answered ${reserved.status}: ${JSON.stringify(reserved.json)}`);
		const stock = await call(base, "GET", `/inventory/stock/${sku}`, user);
		check(stock.json.available === 1, `stock after the reservation: ${JSON.stringify(stock.json)}`);
		return `${sku}: 2 of 3 reserved`;
	});

	if (running.has("reviews")) {
		await step("reviews", async () => {
			const body = { productId: product?.id, rating: 5, title: "Smoke test", body: "Written by npm run smoke." };
			const written = await call(base, "POST", "/reviews", user, body);
			check(written.status === 201, `POST /api/reviews answered ${written.status}: ${JSON.stringify(written.json)}`);
			const moderated = await call(base, "POST", `/reviews/${written.json.id}/moderate`, admin, {
				decision: "APPROVE",
			});
			check(
				moderated.json.status === "APPROVED",
				`moderate answered ${moderated.status}: ${JSON.stringify(moderated.json)}`,
			);
			const { json } = await call(base, "GET", `/reviews/summary/${product?.id}`);
			check(json.reviewCount >= 1, `the summary does not count the approved review: ${JSON.stringify(json)}`);
			return `${product?.sku}: ${json.reviewCount} approved review(s), average ${json.averageRating}`;
		});
	} else process.stdout.write("skip reviews (no node runs the reviews service)\n");

	await step("admin outbox", async () => {
		const { status, json } = await call(base, "GET", "/admin/outbox", admin);
		check(status === 200, `GET /api/admin/outbox answered ${status}: ${JSON.stringify(json)}`);
		return `${Object.keys(json).length} producing service(s)`;
	});

	if (config.transporter) await step("REPL outbox", replOutbox);
	else process.stdout.write("skip REPL outbox (no TRANSPORTER: the REPL runs in the shop's own process)\n");
	process.stdout.write("smoke: all checks passed\n");
}

main().catch((err: Error) => {
	process.stderr.write(`FAIL ${err instanceof SmokeFailure ? err.message : (err.stack ?? err.message)}\n`);
	process.exit(1);
});
