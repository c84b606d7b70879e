import type { ServiceBroker } from "moleculer";
import authService from "../../services/auth/auth.service";
import gatewayService from "../../services/gateway/api.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { api, ERROR_SHAPE, gatewayBaseUrl, type JsonResponse } from "../support/http";
import { infra } from "../support/infra";
import { testNamespace } from "../support/test-namespaces";

/**
 * Failed logins limited per account and per client address, counted in Redis: two nodes, each with a
 * gateway and an auth service (each gateway calls its own auth), share one count. The test client is
 * 127.0.0.1, a trusted proxy here, so `X-Forwarded-For` names the client it stands for.
 */
describe("failed-login limits shared through Redis", () => {
	const PER_ACCOUNT = 3;
	const PER_IP = 5;
	const WINDOW_S = 60;
	let nodes: ServiceBroker[];
	let bases: string[];
	const password = "correct horse battery staple";

	beforeAll(async () => {
		const env = {
			NAMESPACE: testNamespace("test"),
			TRANSPORTER: infra.natsUrl,
			REDIS_URL: infra.redisUrl,
			DATABASE_URL: infra.databaseUrl,
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT: String(PER_ACCOUNT),
			AUTH_LOGIN_MAX_FAILURES_PER_IP: String(PER_IP),
			AUTH_LOGIN_FAILURE_WINDOW_S: String(WINDOW_S),
			TRUSTED_PROXIES: "127.0.0.1,::1",
		};
		nodes = await Promise.all(
			[1, 2].map((n) => {
				const config = testConfig({ ...env, NODE_ID: `node-${n}-${uniqueId()}` });
				return startBroker(config, [gatewayService(config), authService(config)]);
			}),
		);
		bases = nodes.map(gatewayBaseUrl);
	}, 40_000);
	afterAll(async () => {
		await Promise.allSettled((nodes ?? []).map((n) => n.stop()));
	});

	let nextAddress = 1;
	/** A client address no other request of this spec uses. */
	const freshAddress = () => `198.51.${Math.floor(nextAddress / 250)}.${(nextAddress++ % 250) + 1}`;
	const login = (email: string, pass: string, from = freshAddress(), node = 0) =>
		api(bases[node % 2] as string, "POST", "/api/auth/login", { email, password: pass }, { "x-forwarded-for": from });
	const signup = async () => {
		const email = `bf-${uniqueId()}@example.com`;
		expect((await api(bases[0] as string, "POST", "/api/auth/signup", { email, password })).status).toBe(201);
		return email;
	};
	/** The body without what differs on every answer. */
	const comparable = (res: JsonResponse) => {
		const { correlationId: _c, timestamp: _t, ...rest } = res.body.error;
		return { status: res.status, ...rest };
	};

	it("when an account has too many failed logins across both nodes, then even its right password is 429 with Retry-After; an unknown email is answered the same", async () => {
		const known = await signup();
		const unknown = `nobody-${uniqueId()}@example.com`;
		const refusals: JsonResponse[] = [];
		for (const email of [known, unknown]) {
			const failures = [];
			for (let i = 0; i < PER_ACCOUNT; i++)
				failures.push((await login(email, "wrong password", freshAddress(), i)).status);
			expect(failures).toEqual([401, 401, 401]);
			refusals.push(await login(email, email === known ? password : "wrong password", freshAddress(), 1));
		}
		for (const refused of refusals) {
			expect(refused.status).toBe(429);
			expect(refused.body).toMatchObject({
				...ERROR_SHAPE,
				error: { code: "TOO_MANY_FAILED_LOGINS", details: { retryAfterS: expect.any(Number) } },
			});
			const retryAfter = Number(refused.headers.get("retry-after"));
			expect(retryAfter).toBeGreaterThan(WINDOW_S - 10);
			expect(retryAfter).toBeLessThanOrEqual(WINDOW_S);
		}
		const [knownRefusal, unknownRefusal] = refusals.map(comparable);
		expect({ ...knownRefusal, details: undefined }).toEqual({ ...unknownRefusal, details: undefined });
	});

	it("when a login succeeds, then the account's failures start over", async () => {
		const email = await signup();
		for (let i = 0; i < PER_ACCOUNT - 1; i++) expect((await login(email, "wrong password")).status).toBe(401);
		expect((await login(email, password)).status).toBe(200);
		for (let i = 0; i < PER_ACCOUNT; i++)
			expect((await login(email, "wrong password", freshAddress(), i)).status).toBe(401);
		expect((await login(email, password)).status).toBe(429);
	});

	it("when one address fails on many accounts, then it is 429 on both nodes while another address still logs in", async () => {
		const attacker = freshAddress();
		const statuses = [];
		for (let i = 0; i < PER_IP; i++) {
			statuses.push((await login(`sprayed-${i}-${uniqueId()}@example.com`, "a wrong guess", attacker, i)).status);
		}
		expect(statuses).toEqual(Array(PER_IP).fill(401));
		const email = await signup();
		for (const node of [0, 1]) {
			const refused = await login(email, password, attacker, node);
			expect(refused.status).toBe(429);
			expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
		}
		expect((await login(email, password, freshAddress())).status).toBe(200);
	});

	it("when X-Forwarded-For is spoofed left of our proxy, then the client is still the address our proxy saw", async () => {
		const attacker = freshAddress();
		for (let i = 0; i < PER_IP; i++) {
			// Each request claims another client in front of the real one: only the rightmost counts.
			const res = await login(
				`spoof-${i}-${uniqueId()}@example.com`,
				"a wrong guess",
				`${freshAddress()}, ${attacker}`,
			);
			expect(res.status).toBe(401);
		}
		expect(
			(await login(`spoof-${uniqueId()}@example.com`, "a wrong guess", `${freshAddress()}, ${attacker}`)).status,
		).toBe(429);
	});

	it("when a login names an unknown email or a known one with a wrong password, then both take about the same time", async () => {
		const SAMPLES = 16;
		const known = await Promise.all(Array.from({ length: SAMPLES }, signup));
		const timings: Record<"known" | "unknown", number[]> = { known: [], unknown: [] };
		for (let i = 0; i < SAMPLES; i++) {
			// Alternating which goes first, so a slower second request of a pair does not favour one kind.
			for (const kind of i % 2 === 0 ? (["known", "unknown"] as const) : (["unknown", "known"] as const)) {
				const email = kind === "known" ? (known[i] as string) : `nobody-${uniqueId()}@example.com`;
				const started = performance.now();
				const res = await login(email, "wrong password", freshAddress(), i);
				timings[kind].push(performance.now() - started);
				expect(res.status).toBe(401);
			}
		}
		const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
		const [knownMs, unknownMs] = [median(timings.known), median(timings.unknown)];
		console.info(
			`failed login, median of ${SAMPLES}: known email ${knownMs.toFixed(1)} ms, unknown email ${unknownMs.toFixed(1)} ms`,
		);
		expect(unknownMs / knownMs).toBeGreaterThan(0.6);
		expect(unknownMs / knownMs).toBeLessThan(1.6);
	});
});
