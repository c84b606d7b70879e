import { spawn } from "node:child_process";
import path from "node:path";
import { signAccessToken } from "../../lib/auth/access-token";
import { testConfig, uniqueId } from "../support/brokers";
import { infra } from "../support/infra";
import { gatewayUrl, NodeProcess } from "../support/node-process";
import { testNamespace } from "../support/test-namespaces";

const ROOT = path.resolve(__dirname, "../..");

/** `npm run smoke` as a user runs it, against `url`, with the cluster's environment. */
function runSmoke(url: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, ["--import", "tsx", "bin/smoke.ts", "--url", url], {
			cwd: ROOT,
			env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
		});
		let output = "";
		child.stdout.on("data", (d: Buffer) => (output += d.toString()));
		child.stderr.on("data", (d: Buffer) => (output += d.toString()));
		child.once("exit", (code) => resolve({ code, output }));
	});
}

/** The README's cluster recipe, node for node (ports aside), started as written. */
describe("the README's cluster recipe", () => {
	const shared = {
		TRANSPORTER: infra.natsUrl,
		DATABASE_URL: infra.databaseUrl,
		DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
		NAMESPACE: testNamespace("e2e"),
		REDIS_URL: infra.redisUrl,
		EVENTS_URL: infra.kafkaUrl,
		JWT_SECRET: "smoke-test-secret-of-at-least-32-bytes!!",
		LOG_LEVEL: "warn",
	};
	const nodes: NodeProcess[] = [];

	afterAll(async () => {
		await Promise.all(nodes.map((n) => n.stop("SIGKILL")));
	});

	it("passes the smoke check, and the check names a service the recipe left out", async () => {
		const start = (SERVICES: string, name: string, extra: Record<string, string> = {}) => {
			const node = NodeProcess.start({ ...shared, SERVICES, NODE_ID: `${name}-${uniqueId()}`, ...extra });
			nodes.push(node);
			return node;
		};
		const edge = start("gateway,auth,events", "edge", { PORT: "0", LOG_LEVEL: "info" });
		start("users,products,cart,search,reviews", "shop", {
			SEARCH_URL: infra.searchUrl,
			SEARCH_INDEX: `${shared.NAMESPACE}.products`,
		});
		start("inventory", "inv-1");
		start("inventory", "inv-2");
		start("orders,payments", "checkout");
		start("notifications", "notify", { NOTIFY_PROVIDER: "smtp", SMTP_URL: infra.smtpUrl });
		const url = await gatewayUrl(edge);

		// A cluster starts with an empty catalog: an operator adds a product first.
		const admin = await signAccessToken(
			{ sub: "operator", roles: ["admin"] },
			testConfig({ JWT_SECRET: shared.JWT_SECRET }).auth,
		);
		const headers = { "X-API-Version": "v1", Authorization: `Bearer ${admin}`, "Content-Type": "application/json" };
		const body = JSON.stringify({
			sku: `MUG-${uniqueId()}`,
			name: "Mug",
			category: "kitchen",
			priceCents: 900,
			currency: "EUR",
		});
		for (let attempt = 0; ; attempt++) {
			const res = await fetch(`${url.replace(/\/$/, "")}/api/products`, { method: "POST", headers, body });
			if (res.status === 201) break;
			if (attempt > 100) throw new Error(`product create answered ${res.status}`);
			await new Promise((r) => setTimeout(r, 300));
		}
		// Every node joined once its services are seen; the smoke check waits for nothing itself.
		const expected = [
			"api",
			"auth",
			"events",
			"users",
			"products",
			"cart",
			"search",
			"inventory",
			"orders",
			"payments",
			"reviews",
			"notifications",
		];
		for (let attempt = 0; ; attempt++) {
			const health = (await (await fetch(`${url}/api/health`)).json()) as { nodes: Array<{ services: string[] }> };
			const running = new Set(health.nodes.flatMap((n) => n.services));
			if (expected.every((s) => running.has(s))) break;
			if (attempt > 200) throw new Error(`services missing: ${JSON.stringify(health)}`);
			await new Promise((r) => setTimeout(r, 300));
		}

		const smoke = await runSmoke(url, shared);
		expect(smoke.output).toContain("ok   REPL outbox");
		expect(smoke.output).toMatch(/ok {3}search/);
		expect(smoke.output).toMatch(/ok {3}reviews/);
		expect(smoke.output).toContain("smoke: all checks passed");
		expect(smoke.code).toBe(0);

		// The recipe's old mistake, leaving `events` out, is named by the check.
		await (nodes[0] as NodeProcess).stop("SIGTERM");
		const gatewayOnly = start("gateway,auth", "edge-no-events", { PORT: "0", LOG_LEVEL: "info" });
		const degraded = await runSmoke(await gatewayUrl(gatewayOnly), shared);
		expect(degraded.code).toBe(1);
		expect(degraded.output).toMatch(/FAIL services expected but running nowhere: events/);
	}, 240_000);
});
