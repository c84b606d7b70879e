import type { ServiceBroker } from "moleculer";
import { QueryTypes, type Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { signAccessToken } from "../../lib/auth/access-token";
import authService from "../../services/auth/auth.service";
import type { RefreshTokensRepository } from "../../services/auth/refresh-tokens.repository";
import gatewayService from "../../services/gateway/api.service";
import inventoryService from "../../services/inventory/inventory.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { api, ERROR_SHAPE, gatewayBaseUrl, type JsonResponse } from "../support/http";
import { infra } from "../support/infra";

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each([
	["MariaDB and Redis", { DATABASE_URL: infra.databaseUrl, REDIS_URL: infra.redisUrl }],
	["SQLite and memory", {}],
])("auth over HTTP on %s", (_label, env) => {
	let broker: ServiceBroker;
	let config: AppConfig;
	let base: string;
	const email = () => `Shopper.${uniqueId()}@Example.com`;
	const password = "correct horse battery staple";

	beforeAll(async () => {
		// No cache at the gateway: a logout must show on the very next request here.
		config = testConfig({ ...env, DB_NAME_PREFIX: `shop_t${uniqueId()}_`, AUTH_VALIDATE_CACHE_MS: "0" });
		broker = await startBroker(config, [gatewayService(config), authService(config), inventoryService(config)]);
		base = gatewayBaseUrl(broker);
	});
	afterAll(() => broker?.stop());

	const db = () => (broker.getLocalService("auth") as unknown as { sequelize: Sequelize }).sequelize;
	const accountsWith = async (address: string) =>
		db().query<{ email: string; password_hash: string }>("SELECT email, password_hash FROM users WHERE email = ?", {
			replacements: [address.toLowerCase()],
			type: QueryTypes.SELECT,
		});
	/** Auth routes take no X-API-Version: they are called before a client knows one. */
	const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
		api(base, "POST", `/api/auth${path}`, body, { "x-api-version": "", ...headers });
	const validate = (token: string) => api(base, "GET", "/api/auth/validate", undefined, bearer(token));
	const signup = async (address = email()) => {
		const res = await post("/signup", { email: address, password });
		expect(res.status).toBe(201);
		return res.body as { accessToken: string; refreshToken: string; user: { id: string; email: string } };
	};

	it("when a shopper signs up, then it gets a working access token and a refresh token, and only a scrypt hash is stored", async () => {
		const address = email();
		const res = await post("/signup", { email: address, password });
		expect(res.status).toBe(201);
		expect(res.body).toEqual({
			accessToken: expect.any(String),
			tokenType: "Bearer",
			expiresIn: config.auth.accessTokenTtlS,
			refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
			user: { id: expect.any(String), email: address.toLowerCase(), roles: ["customer"] },
		});
		const me = await validate(res.body.accessToken);
		expect(me.status).toBe(200);
		expect(me.body).toEqual({ sub: res.body.user.id, roles: ["customer"], exp: expect.any(Number) });
		const [row] = await accountsWith(address);
		expect(row?.password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
		expect(row?.password_hash).not.toContain(password);
	});

	it("when an email is taken in another spelling, then signup is 409 EMAIL_TAKEN and no second account exists", async () => {
		const address = email();
		await signup(address);
		const again = await post("/signup", { email: `  ${address.toUpperCase()} `, password: "another password" });
		expect(again.status).toBe(409);
		expect(again.body).toMatchObject({ ...ERROR_SHAPE, error: { code: "EMAIL_TAKEN" } });
		expect(await accountsWith(address)).toHaveLength(1);
	});

	it.each([
		["an invalid email", { email: "not-an-email", password }],
		["a short password", { email: "short@example.com", password: "1234567" }],
		["no password", { email: "nopass@example.com" }],
		["a password that is not a string", { email: "num@example.com", password: 12345678 }],
	])("when signup sends %s, then it is 400 VALIDATION_ERROR and no account is made", async (_what, body) => {
		const res = await post("/signup", body);
		expect(res.status).toBe(400);
		expect(res.body).toMatchObject({ ...ERROR_SHAPE, error: { code: "VALIDATION_ERROR" } });
		if (typeof body.email === "string") expect(await accountsWith(body.email)).toHaveLength(0);
	});

	it("when a login has a wrong password or an unknown email, then both are the same 401; the right one logs in", async () => {
		const address = email();
		await signup(address);
		const wrong = await post("/login", { email: address, password: "wrong password" });
		const unknown = await post("/login", { email: email(), password });
		for (const res of [wrong, unknown]) {
			expect(res.status).toBe(401);
			expect(res.body).toMatchObject({ ...ERROR_SHAPE, error: { code: "INVALID_CREDENTIALS" } });
		}
		expect(wrong.body.error.message).toBe(unknown.body.error.message);
		const right = await post("/login", { email: address.toUpperCase(), password });
		expect(right.status).toBe(200);
		expect((await validate(right.body.accessToken)).status).toBe(200);
	});

	it("when a refresh token is used, then it is exchanged for a new one; using the old one again revokes the whole family", async () => {
		const first = await signup();
		const rotated = await post("/refresh", { refreshToken: first.refreshToken });
		expect(rotated.status).toBe(200);
		expect(rotated.body.refreshToken).not.toBe(first.refreshToken);
		expect(rotated.body.user.id).toBe(first.user.id);
		expect((await validate(rotated.body.accessToken)).status).toBe(200);

		const reused = await post("/refresh", { refreshToken: first.refreshToken });
		expect(reused.status).toBe(401);
		expect(reused.body).toMatchObject({ error: { code: "REFRESH_TOKEN_INVALID", details: { reason: "REUSED" } } });
		// Whoever holds the rotated one (maybe the thief) is out too.
		const successor = await post("/refresh", { refreshToken: rotated.body.refreshToken });
		expect(successor.status).toBe(401);
		expect(successor.body).toMatchObject({ error: { details: { reason: "REVOKED" } } });
	});

	it("when two requests refresh with the same token at once, then exactly one gets a new token", async () => {
		const { refreshToken } = await signup();
		const answers = await Promise.all(Array.from({ length: 8 }, () => post("/refresh", { refreshToken })));
		expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
		expect(answers.filter((r) => r.status === 401)).toHaveLength(7);
	});

	it("when a refresh token was never issued, then it is 401 with reason UNKNOWN", async () => {
		const res = await post("/refresh", { refreshToken: "A".repeat(43) });
		expect(res.status).toBe(401);
		expect(res.body).toMatchObject({ error: { code: "REFRESH_TOKEN_INVALID", details: { reason: "UNKNOWN" } } });
	});

	it("when a shopper logs out, then its access token and refresh token stop working at once", async () => {
		const session = await signup();
		const out = await post("/logout", { refreshToken: session.refreshToken }, bearer(session.accessToken));
		expect(out.status).toBe(204);
		const me = await validate(session.accessToken);
		expect(me.status).toBe(401);
		expect(me.body).toMatchObject({
			...ERROR_SHAPE,
			error: { code: "UNAUTHORIZED", details: { reason: "TOKEN_REVOKED" } },
		});
		const refresh = await post("/refresh", { refreshToken: session.refreshToken });
		expect(refresh.body).toMatchObject({ error: { details: { reason: "REVOKED" } } });
	});

	it("when logout names another account's refresh token, then that token keeps working", async () => {
		const mine = await signup();
		const theirs = await signup();
		expect((await post("/logout", { refreshToken: theirs.refreshToken }, bearer(mine.accessToken))).status).toBe(204);
		expect((await post("/refresh", { refreshToken: theirs.refreshToken })).status).toBe(200);
	});

	it("when logout or validate has no token, then it is 401 TOKEN_MISSING", async () => {
		for (const res of [await post("/logout", {}), await api(base, "GET", "/api/auth/validate")]) {
			expect(res.status).toBe(401);
			expect(res.body).toMatchObject({ error: { code: "UNAUTHORIZED", details: { reason: "TOKEN_MISSING" } } });
		}
	});

	it("when a shopper changes its password, then the old one and every refresh token stop working", async () => {
		const address = email();
		const session = await signup(address);
		const other = await post("/login", { email: address, password });
		const change = (body: object, token = session.accessToken) => post("/password", body, bearer(token));

		const wrong = await change({ currentPassword: "not my password", newPassword: "a brand new password" });
		expect(wrong.status).toBe(401);
		expect(wrong.body).toMatchObject({ error: { code: "INVALID_CREDENTIALS" } });
		expect((await change({ currentPassword: password, newPassword: "short" })).status).toBe(400);
		expect((await post("/password", { currentPassword: password, newPassword: "a brand new password" })).status).toBe(
			401,
		);
		expect((await post("/login", { email: address, password })).status).toBe(200);

		const changed = await change({ currentPassword: password, newPassword: "a brand new password" });
		expect(changed.status).toBe(200);
		expect(changed.body.refreshToken).toEqual(expect.any(String));
		for (const stale of [session.refreshToken, other.body.refreshToken]) {
			expect((await post("/refresh", { refreshToken: stale })).body).toMatchObject({
				error: { details: { reason: "REVOKED" } },
			});
		}
		expect((await post("/login", { email: address, password })).status).toBe(401);
		expect((await post("/login", { email: address, password: "a brand new password" })).status).toBe(200);
		expect((await post("/refresh", { refreshToken: changed.body.refreshToken })).status).toBe(200);
	});

	it("when refresh tokens have expired, then the sweep deletes them and leaves the live ones", async () => {
		const session = await signup();
		const tokens = (broker.getLocalService("auth") as unknown as { refreshTokens: RefreshTokensRepository })
			.refreshTokens;
		const longAgo = Date.now() - (config.auth.refreshTokenTtlS + 60) * 1000;
		const expired = await Promise.all([1, 2, 3].map(() => tokens.issue(session.user.id, undefined, longAgo)));
		const rowsOf = async () =>
			(
				await db().query<{ n: number | string }>("SELECT COUNT(*) AS n FROM refresh_tokens WHERE user_id = ?", {
					replacements: [session.user.id],
					type: QueryTypes.SELECT,
				})
			)[0]?.n;
		expect(Number(await rowsOf())).toBe(4);
		const { deleted } = await broker.call<{ deleted: number }>("auth.sweepRefreshTokens");
		expect(deleted).toBeGreaterThanOrEqual(3);
		expect(Number(await rowsOf())).toBe(1);
		expect((await post("/refresh", { refreshToken: expired[0] })).body).toMatchObject({
			error: { details: { reason: "UNKNOWN" } },
		});
		expect((await post("/refresh", { refreshToken: session.refreshToken })).status).toBe(200);
	});

	describe("inventory behind tokens", () => {
		const sku = `AUTH-${uniqueId()}`;
		const inventory = (method: string, path: string, body?: unknown, token?: string): Promise<JsonResponse> =>
			api(base, method, `/api/inventory${path}`, body, token ? bearer(token) : {});
		let adminToken: string;

		beforeAll(async () => {
			adminToken = await signAccessToken({ sub: "ops", roles: ["admin"] }, config.auth);
		});

		it("when a call has no token, then it is 401 and nothing changes", async () => {
			expect((await inventory("POST", "/stock", { sku, available: 5 })).status).toBe(401);
			expect((await inventory("GET", `/stock/${sku}`)).status).toBe(401);
			expect((await inventory("POST", "/reserve", { orderId: "o-1", sku, quantity: 1 })).status).toBe(401);
			expect((await inventory("GET", `/stock/${sku}`, undefined, adminToken)).status).toBe(404);
		});

		it("when a shopper sets stock, then it is 403 FORBIDDEN; an operator may, and the shopper may reserve", async () => {
			const shopper = await signup();
			const refused = await inventory("POST", "/stock", { sku, available: 5 }, shopper.accessToken);
			expect(refused.status).toBe(403);
			expect(refused.body).toMatchObject({
				...ERROR_SHAPE,
				error: { code: "FORBIDDEN", details: { requiredRole: "admin" } },
			});
			expect((await inventory("GET", `/stock/${sku}`, undefined, adminToken)).status).toBe(404);

			expect((await inventory("POST", "/stock", { sku, available: 5 }, adminToken)).status).toBe(200);
			const reserved = await inventory(
				"POST",
				"/reserve",
				{ orderId: `o-${uniqueId()}`, sku, quantity: 2 },
				shopper.accessToken,
			);
			expect(reserved.status).toBe(200);
			expect((await inventory("GET", `/stock/${sku}`, undefined, shopper.accessToken)).body).toMatchObject({
				available: 3,
				reserved: 2,
			});
		});

		it("when a shopper has logged out, then its token no longer reserves", async () => {
			const shopper = await signup();
			await post("/logout", {}, bearer(shopper.accessToken));
			const res = await inventory(
				"POST",
				"/reserve",
				{ orderId: `o-${uniqueId()}`, sku, quantity: 1 },
				shopper.accessToken,
			);
			expect(res.status).toBe(401);
			expect(res.body).toMatchObject({ error: { details: { reason: "TOKEN_REVOKED" } } });
		});
	});
});
