import type { ServiceBroker } from "moleculer";
import { QueryTypes, type Sequelize } from "sequelize";
import authService from "../../services/auth/auth.service";
import gatewayService from "../../services/gateway/api.service";
import inventoryService from "../../services/inventory/inventory.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { api, asOperator, ERROR_SHAPE, gatewayBaseUrl } from "../support/http";
import { infra } from "../support/infra";
import { testNamespace } from "../support/test-namespaces";

/**
 * Per-client, per-route rate limits counted in Redis: two gateway nodes share one limit, a refused
 * request is a 429 in the standard error JSON that changes nothing, and a Redis that does not answer
 * lets requests through.
 */
describe("rate limits at the gateway", () => {
	const LIMIT = 3;
	let services: ServiceBroker;
	let gateways: ServiceBroker[];
	let bases: string[];

	beforeAll(async () => {
		const env = {
			NAMESPACE: testNamespace("test"),
			TRANSPORTER: infra.natsUrl,
			REDIS_URL: infra.redisUrl,
			DATABASE_URL: infra.databaseUrl,
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			RATE_LIMIT_AUTH: String(LIMIT),
			RATE_LIMIT_API: String(LIMIT),
			// A window no test outlives: what is counted stays counted.
			RATE_LIMIT_WINDOW_S: "3600",
		};
		const servicesConfig = testConfig({ ...env, NODE_ID: `services-${uniqueId()}` });
		services = await startBroker(servicesConfig, [authService(servicesConfig), inventoryService(servicesConfig)]);
		gateways = await Promise.all(
			[1, 2].map((n) => {
				const config = testConfig({ ...env, NODE_ID: `edge-${n}-${uniqueId()}` });
				return startBroker(config, [gatewayService(config)]);
			}),
		);
		await Promise.all(gateways.map((g) => g.waitForServices(["auth", "inventory"], 20_000)));
		bases = gateways.map(gatewayBaseUrl);
	}, 40_000);
	afterAll(async () => {
		await Promise.allSettled([...(gateways ?? []).map((g) => g.stop()), services?.stop()]);
	});

	const accounts = async (email: string) =>
		(services.getLocalService("auth") as unknown as { sequelize: Sequelize }).sequelize.query(
			"SELECT id FROM users WHERE email = ?",
			{ replacements: [email], type: QueryTypes.SELECT },
		);

	it("when one client goes over the auth limit across two gateway nodes, then it gets 429 RATE_LIMITED and nothing is created", async () => {
		const signup = (base: string, email: string) =>
			api(base, "POST", "/api/auth/signup", { email, password: "a long enough password" });
		const answers = [];
		for (let i = 0; i < LIMIT; i++)
			answers.push(await signup(bases[i % 2] as string, `rl-${i}-${uniqueId()}@example.com`));
		expect(answers.map((r) => r.status)).toEqual([201, 201, 201]);
		expect(answers[0]?.headers.get("x-rate-limit-limit")).toBe(String(LIMIT));
		expect(answers[2]?.headers.get("x-rate-limit-remaining")).toBe("0");

		const refusedEmail = `rl-over-${uniqueId()}@example.com`;
		const refused = await signup(bases[1] as string, refusedEmail);
		expect(refused.status).toBe(429);
		expect(refused.body).toMatchObject({ ...ERROR_SHAPE, error: { status: 429, code: "RATE_LIMITED" } });
		const retryAfter = Number(refused.headers.get("retry-after"));
		expect(retryAfter).toBeGreaterThan(0);
		expect(retryAfter).toBeLessThanOrEqual(3600);
		expect(await accounts(refusedEmail)).toHaveLength(0);
	});

	it("when an operator goes over the inventory limit, then it is 429 and the refused stock changes do not land", async () => {
		const { api: operatorApi } = await asOperator(testConfig().auth);
		const sku = `RL-${uniqueId()}`;
		const statuses = [];
		for (let i = 0; i <= LIMIT; i++) {
			statuses.push(
				(await operatorApi(bases[i % 2] as string, "POST", "/api/inventory/stock", { sku, delta: 1 })).status,
			);
		}
		expect(statuses).toEqual([200, 200, 200, 429]);
		const { api: operatorApiAgain } = await asOperator(testConfig().auth);
		// The refused fourth delta did not land: one more call is refused too, and the stock holds 3.
		expect((await operatorApiAgain(bases[0] as string, "POST", "/api/inventory/stock", { sku, delta: 1 })).status).toBe(
			429,
		);
		const stock = await services.call<{ available: number }, { sku: string }>("inventory.getStock", { sku });
		expect(stock.available).toBe(LIMIT);
	});

	it("when the gateway's Redis does not answer, then requests are let through", async () => {
		// Only this gateway node has a Redis that does not answer; auth is reached over NATS with its own.
		const shared = {
			NAMESPACE: testNamespace("test"),
			TRANSPORTER: infra.natsUrl,
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
		};
		const authConfig = testConfig({ ...shared, NODE_ID: `auth-${uniqueId()}` });
		const edgeConfig = testConfig({
			...shared,
			NODE_ID: `edge-${uniqueId()}`,
			REDIS_URL: "redis://127.0.0.1:1",
			RATE_LIMIT_AUTH: "1",
		});
		const authNode = await startBroker(authConfig, [authService(authConfig)]);
		const edge = await startBroker(edgeConfig, [gatewayService(edgeConfig)]);
		try {
			await edge.waitForServices(["auth"], 20_000);
			const base = gatewayBaseUrl(edge);
			for (let i = 0; i < 3; i++) {
				const res = await api(base, "POST", "/api/auth/signup", {
					email: `rl-down-${i}-${uniqueId()}@example.com`,
					password: "a long enough password",
				});
				expect(res.status).toBe(201);
			}
		} finally {
			await Promise.allSettled([edge.stop(), authNode.stop()]);
		}
	});
});
