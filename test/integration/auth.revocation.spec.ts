import type { ServiceBroker } from "moleculer";
import type { AccessRevocations } from "../../services/auth/access-revocations";
import authService from "../../services/auth/auth.service";
import gatewayService from "../../services/gateway/api.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { api, gatewayBaseUrl } from "../support/http";
import { infra } from "../support/infra";
import { testNamespace } from "../support/test-namespaces";

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

interface Session {
	accessToken: string;
	refreshToken: string;
	user: { id: string };
}

/**
 * Revocation reaches every gateway at once: two gateway nodes and an auth node over NATS, each gateway
 * reusing a "valid" for a minute. What one gateway hears of a logout, a password change or a refresh
 * token used twice, the other must act on before the client's next request.
 */
describe("token revocation across two gateways over NATS", () => {
	let authNode: ServiceBroker;
	let gateways: ServiceBroker[];
	let one: string;
	let other: string;
	const password = "correct horse battery staple";

	beforeAll(async () => {
		const env = {
			NAMESPACE: testNamespace("test"),
			TRANSPORTER: infra.natsUrl,
			REDIS_URL: infra.redisUrl,
			DATABASE_URL: infra.databaseUrl,
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			// A cache a window would show in: without the broadcast, a revoked token would pass for a minute.
			AUTH_VALIDATE_CACHE_MS: "60000",
		};
		const authConfig = testConfig({ ...env, NODE_ID: `auth-${uniqueId()}` });
		authNode = await startBroker(authConfig, [authService(authConfig)]);
		gateways = await Promise.all(
			[1, 2].map((n) => {
				const config = testConfig({ ...env, NODE_ID: `edge-${n}-${uniqueId()}` });
				return startBroker(config, [gatewayService(config)]);
			}),
		);
		await Promise.all(gateways.map((g) => g.waitForServices(["auth"], 20_000)));
		// The auth node must see both gateways' subscriptions before it broadcasts.
		await authNode.waitForServices(["api"], 20_000);
		await waitUntil(() => authNode.registry.getNodeList({ onlyAvailable: true }).length >= 3);
		[one, other] = gateways.map(gatewayBaseUrl) as [string, string];
	}, 40_000);
	afterAll(async () => {
		await Promise.allSettled([...(gateways ?? []).map((g) => g.stop()), authNode?.stop()]);
	});

	const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
		api(base, "POST", `/api/auth${path}`, body, headers);
	/** A route behind the gateway's token check (the caller's own claims). */
	const whoami = (base: string, token: string) => api(base, "GET", "/api/auth/validate", undefined, bearer(token));
	const signup = async (): Promise<Session & { email: string }> => {
		const email = `revoke-${uniqueId()}@example.com`;
		const res = await post(one, "/signup", { email, password });
		expect(res.status).toBe(201);
		return { ...res.body, email };
	};
	/** Both gateways have the token cached as valid. */
	const warm = async (token: string) => {
		for (const base of [one, other]) expect((await whoami(base, token)).status).toBe(200);
	};

	it("when a token is revoked without a broadcast, then the other gateway still reuses its cached valid (the window the broadcast closes)", async () => {
		const session = await signup();
		await warm(session.accessToken);
		const claims = (await whoami(one, session.accessToken)).body as { sub: string; exp: number };
		const revocations = (authNode.getLocalService("auth") as unknown as { revocations: AccessRevocations }).revocations;
		const jti = JSON.parse(Buffer.from(session.accessToken.split(".")[1] as string, "base64url").toString()).jti;
		await revocations.revokeToken({ jti, sub: claims.sub, exp: claims.exp });
		expect((await whoami(other, session.accessToken)).status).toBe(200);
	});

	it("when a shopper logs out through one gateway, then its very next request through the other is 401 TOKEN_REVOKED", async () => {
		const session = await signup();
		await warm(session.accessToken);
		const started = performance.now();
		const out = await post(one, "/logout", { refreshToken: session.refreshToken }, bearer(session.accessToken));
		expect(out.status).toBe(204);
		const next = await whoami(other, session.accessToken);
		const elapsedMs = performance.now() - started;
		expect(next.status).toBe(401);
		expect(next.body).toMatchObject({ error: { code: "UNAUTHORIZED", details: { reason: "TOKEN_REVOKED" } } });
		expect((await whoami(one, session.accessToken)).status).toBe(401);
		console.info(`logout through one gateway, then 401 through the other: ${elapsedMs.toFixed(1)} ms`);
	});

	it("when a logout revokes one token, then the account's other sessions stay cached and valid", async () => {
		const session = await signup();
		const second = await post(one, "/login", { email: session.email, password });
		await warm(session.accessToken);
		await warm(second.body.accessToken);
		expect((await post(one, "/logout", {}, bearer(session.accessToken))).status).toBe(204);
		expect((await whoami(other, second.body.accessToken)).status).toBe(200);
	});

	it("when a shopper changes its password through one gateway, then every older access token is refused through the other, and the new one works", async () => {
		const session = await signup();
		const elsewhere = await post(other, "/login", { email: session.email, password });
		await warm(session.accessToken);
		await warm(elsewhere.body.accessToken);
		const changed = await post(
			one,
			"/password",
			{ currentPassword: password, newPassword: "a brand new password" },
			bearer(session.accessToken),
		);
		expect(changed.status).toBe(200);
		for (const stale of [session.accessToken, elsewhere.body.accessToken]) {
			const res = await whoami(other, stale);
			expect(res.status).toBe(401);
			expect(res.body).toMatchObject({ error: { details: { reason: "TOKEN_REVOKED" } } });
		}
		// Issued in the same second as the change, yet after it: valid everywhere.
		for (const base of [other, one]) expect((await whoami(base, changed.body.accessToken)).status).toBe(200);
		const again = await post(other, "/login", { email: session.email, password: "a brand new password" });
		expect((await whoami(one, again.body.accessToken)).status).toBe(200);
	});

	it("when a refresh token is used twice, then the account's access tokens are refused through both gateways; a new login works at once", async () => {
		const session = await signup();
		const rotated = await post(one, "/refresh", { refreshToken: session.refreshToken });
		expect(rotated.status).toBe(200);
		await warm(session.accessToken);
		await warm(rotated.body.accessToken);
		const reused = await post(one, "/refresh", { refreshToken: session.refreshToken });
		expect(reused.body).toMatchObject({ error: { details: { reason: "REUSED" } } });
		for (const token of [session.accessToken, rotated.body.accessToken]) {
			for (const base of [other, one]) expect((await whoami(base, token)).status).toBe(401);
		}
		const login = await post(other, "/login", { email: session.email, password });
		expect(login.status).toBe(200);
		expect((await whoami(one, login.body.accessToken)).status).toBe(200);
	});
});

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error("condition not met in time");
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}
