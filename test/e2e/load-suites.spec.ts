import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../bench/support/free-port";
import type { LoadReport } from "../../loadtest/report/load-report";
import { uniqueId } from "../support/brokers";
import { infra } from "../support/infra";
import { expectSuccess, gateOf, runLoad as runLoadWithEnv } from "../support/load-run";
import { gatewayUrl, NodeProcess } from "../support/node-process";
import { testNamespace } from "../support/test-namespaces";

const JWT_SECRET = "load-suite-test-secret-of-at-least-32-bytes";
const runLoad = (args: string[], env: Record<string, string> = {}) => runLoadWithEnv(args, { JWT_SECRET, ...env });

describe("npm run load", () => {
	it("runs a flash sale against the embedded shop it starts itself: zero oversell, no 5xx, every gate checked", async () => {
		const run = await runLoad([
			"flash-sale",
			"--requests",
			"4000",
			"--units",
			"400",
			"--vus",
			"40",
			"--users",
			"20",
			"--gates",
			"ci",
		]);
		expect(run.stderr).toContain("starting the embedded shop");
		expectSuccess(run);
		const report = run.report as LoadReport;
		expect(report.passed).toBe(true);
		expect(report.settings.target).toBe("embedded");
		expect(report.totals.requests).toBe(4000);
		expect(report.statuses["200"]).toBeGreaterThanOrEqual(400);
		expect(report.statuses["409"]).toBeGreaterThan(0);
		expect(Object.keys(report.statuses).filter((status) => status >= "500")).toEqual([]);
		expect(gateOf(report, "oversold")?.measured).toBe(0);
		expect(gateOf(report, "unbacked_successes")?.measured).toBe(0);
		expect(gateOf(report, "double_reservations")?.measured).toBe(0);
		expect(gateOf(report, "http_req_duration{outcome:sold_out}")?.measured).toBeGreaterThan(0);
		expect(report.checks.map((check) => [check.name, check.passed])).toEqual(
			expect.arrayContaining([
				["no oversell", true],
				["every success backed by exactly one reservation", true],
			]),
		);
		expect(report.timeline.length).toBeGreaterThan(0);
	}, 180_000);

	it("refuses a bad command line with its usage and exit code 2, before it starts anything", async () => {
		const run = await runLoad(["no-such-suite"]);
		expect(run.code).toBe(2);
		expect(run.stderr).toContain('unknown suite "no-such-suite"');
		expect(run.stderr).toContain("usage: npm run load");
		expect(run.stderr).not.toContain("starting the embedded shop");
		const both = await runLoad(["browse", "--duration", "5s", "--requests", "100"]);
		expect(both.code).toBe(2);
		expect(both.stderr).toContain("not both");
		// A flash sale's stock is its test: no warm-up may sell it.
		const warmSale = await runLoad(["flash-sale", "--warmup", "5s"]);
		expect(warmSale.code).toBe(2);
		expect(warmSale.stderr).toContain("--warmup is for suites that run for a duration");
		expect(warmSale.stderr).not.toContain("starting the embedded shop");
	});

	describe("against a cluster (NATS, MariaDB, Redis, Kafka; the gateway on its own node)", () => {
		const shared = {
			TRANSPORTER: infra.natsUrl,
			DATABASE_URL: infra.databaseUrl,
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			NAMESPACE: testNamespace("e2e"),
			REDIS_URL: infra.redisUrl,
			EVENTS_URL: infra.kafkaUrl,
			JWT_SECRET,
			LOG_LEVEL: "warn",
		};
		const nodes: NodeProcess[] = [];
		let url = "";

		beforeAll(async () => {
			const start = (SERVICES: string, name: string, extra: Record<string, string> = {}) => {
				const node = NodeProcess.start({ ...shared, SERVICES, NODE_ID: `${name}-${uniqueId()}`, ...extra });
				nodes.push(node);
				return node;
			};
			// Load runs sign their shoppers up through the API: no signup limit per address.
			const port = String(await freePort());
			const edge = start("gateway,auth,events", "edge", { PORT: port, LOG_LEVEL: "info", RATE_LIMIT_AUTH: "0" });
			start("users,products,cart", "shop");
			start("inventory", "inv");
			// The sandbox provider posts its webhooks to the gateway, on another node.
			start("orders,payments", "checkout", {
				PAYMENTS_WEBHOOK_URL: `http://127.0.0.1:${port}/api/payments/webhook`,
			});
			url = (await gatewayUrl(edge)).replace(/\/$/, "");
			const expected = ["auth", "users", "products", "cart", "inventory", "orders", "payments"];
			for (let attempt = 0; ; attempt++) {
				const health = (await (await fetch(`${url}/api/health`)).json()) as { nodes: { services: string[] }[] };
				const running = new Set(health.nodes.flatMap((node) => node.services));
				if (expected.every((service) => running.has(service))) break;
				if (attempt > 200) throw new Error(`services missing: ${JSON.stringify(health)}`);
				await new Promise((resolve) => setTimeout(resolve, 300));
			}
		}, 180_000);

		afterAll(async () => {
			await Promise.all(nodes.map((node) => node.stop("SIGKILL")));
		});

		it("runs the baseline mix (browse, cart, checkout at once) with every flow in budget and every order ended", async () => {
			const run = await runLoad([
				"baseline",
				"--url",
				url,
				"--warmup",
				"2s",
				"--duration",
				"10s",
				"--vus",
				"30",
				"--gates",
				"ci",
			]);
			expectSuccess(run);
			const report = run.report as LoadReport;
			expect(report.settings.target).toBe("external");
			// The warm-up's answers are reported beside the run, not in it.
			const warmup = report.settings.warmup as { durationS: number; requests: number; failed: number };
			expect(warmup).toMatchObject({ durationS: 2, failed: 0 });
			expect(warmup.requests).toBeGreaterThan(0);
			expect(report.checks.find((check) => check.name === "no failed requests while warming up")?.passed).toBe(true);
			expect(new Set(report.steps.map((step) => step.flow))).toEqual(new Set(["browse", "cart", "checkout"]));
			expect(gateOf(report, "cart_consistency")?.measured).toBeGreaterThan(0.99);
			expect(gateOf(report, "checkout_success")?.measured).toBeGreaterThan(0.95);
			expect(report.checks.find((check) => check.name === "every order ended")?.passed).toBe(true);
		}, 240_000);

		it("runs a flash sale through checkout: every order ends, the stock holds exactly the CONFIRMED ones", async () => {
			const run = await runLoad([
				"flash-sale-checkout",
				"--url",
				url,
				"--requests",
				"600",
				"--units",
				"60",
				"--vus",
				"20",
				"--gates",
				"ci",
			]);
			expectSuccess(run);
			const report = run.report as LoadReport;
			expect(report.checks.map((check) => [check.name, check.passed])).toEqual([
				["every order ended", true],
				["each ended exactly once", true],
				["stock holds exactly the CONFIRMED orders", true],
				["no oversell", true],
			]);
			expect(report.checks[2]?.detail).toMatch(/^60 orders CONFIRMED, \d+ CANCELLED for INSUFFICIENT_STOCK/);
			expect(gateOf(report, "oversold")?.measured).toBe(0);
		}, 240_000);

		it("exits 1 naming the breached gate and what it measured", async () => {
			const gatesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "shop-gates-")), "gates.json");
			fs.writeFileSync(
				gatesFile,
				JSON.stringify({ browse: { strict: { "http_req_duration{flow:browse}": ["p(95)<0.001"] } } }),
			);
			const run = await runLoad([
				"browse",
				"--url",
				url,
				"--duration",
				"2s",
				"--vus",
				"5",
				"--gates",
				"strict",
				"--gates-file",
				gatesFile,
			]);
			expect(run.code).toBe(1);
			expect(run.stderr).toMatch(
				/FAILED: gate http_req_duration\{flow:browse\} p\(95\)<0\.001 \(measured \d+(\.\d+)?\)/,
			);
			expect(run.report?.passed).toBe(false);
			expect(run.report?.gates[0]?.passed).toBe(false);
		}, 120_000);
	});
});
