import type { ServiceBroker } from "moleculer";
import authService from "../../services/auth/auth.service";
import gatewayService from "../../services/gateway/api.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { api, ERROR_SHAPE, gatewayBaseUrl, type JsonResponse } from "../support/http";
import { infra } from "../support/infra";
import { freePort, LoginBrowser, OidcTestProvider } from "../support/oidc-test-provider";

const CALLBACK_PATH = "/api/auth/oidc/callback";

/**
 * OpenID Connect login against a real provider (oidc-provider, in a child process), through real HTTP
 * redirects: our login route, the provider's login and consent forms, and back to our callback. Accounts
 * in MariaDB, pending logins in Redis, as in a cluster.
 */
describe("OpenID Connect login (authorization code + PKCE)", () => {
	let broker: ServiceBroker;
	let base: string;
	let provider: OidcTestProvider;
	const password = "correct horse battery staple";
	const emailOf = (name: string) => `${name}-${uniqueId()}@example.com`;
	const people = {
		ada: { email: emailOf("Ada").toUpperCase(), email_verified: true },
		grace: { email: emailOf("grace"), email_verified: true },
		mallory: { email: emailOf("mallory"), email_verified: false },
	};

	beforeAll(async () => {
		const port = await freePort();
		provider = new OidcTestProvider(`http://127.0.0.1:${port}${CALLBACK_PATH}`);
		await provider.start(people);
		const config = testConfig({
			PORT: String(port),
			DATABASE_URL: infra.databaseUrl,
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			REDIS_URL: infra.redisUrl,
			OIDC_ISSUER_URL: provider.issuer,
			OIDC_CLIENT_ID: provider.clientId,
			OIDC_CLIENT_SECRET: provider.clientSecret,
			OIDC_REDIRECT_URL: `http://127.0.0.1:${port}${CALLBACK_PATH}`,
			OIDC_PROVIDER_NAME: "Test ID",
		});
		broker = await startBroker(config, [gatewayService(config), authService(config)]);
		base = gatewayBaseUrl(broker);
	}, 40_000);
	afterAll(async () => {
		await broker?.stop();
		await provider?.stop();
	});

	/** A whole login in a fresh browser: our login route, the provider's pages, our callback's answer. */
	const loginAs = async (login: string, options: { decline?: boolean; browser?: LoginBrowser } = {}) => {
		const browser = options.browser ?? new LoginBrowser();
		const { res, url } = await browser.loginAt(`${base}/api/auth/oidc/login`, login, options);
		return { status: res.status, body: (await res.json()) as JsonResponse["body"], callbackUrl: url, browser };
	};
	const whoami = (accessToken: string) =>
		api(base, "GET", "/api/auth/validate", undefined, { authorization: `Bearer ${accessToken}` });

	it("when the login route is opened, then it redirects to the provider with PKCE (S256), state and nonce", async () => {
		const res = await fetch(`${base}/api/auth/oidc/login`, { redirect: "manual" });
		expect(res.status).toBe(302);
		expect(res.headers.get("cache-control")).toBe("no-store");
		const to = new URL(res.headers.get("location") as string);
		expect(to.origin).toBe(provider.issuer);
		const query = Object.fromEntries(to.searchParams);
		expect(query).toMatchObject({
			response_type: "code",
			client_id: provider.clientId,
			redirect_uri: `${base}${CALLBACK_PATH}`,
			scope: "openid email profile",
			code_challenge_method: "S256",
		});
		// 43 characters: a base64url SHA-256, not the verifier itself.
		expect(query.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(query.state).toMatch(/^[A-Za-z0-9_-]{20,}$/);
		expect(query.nonce).toMatch(/^[A-Za-z0-9_-]{20,}$/);
	});

	it("when a person with a verified email and no account logs in, then an account is made and the token pair works", async () => {
		const { status, body, callbackUrl, browser } = await loginAs("ada");
		// Through the provider's login form and consent page, back to our callback with a code.
		expect(browser.visited.some((url) => url.startsWith(`${provider.issuer}/interaction/`))).toBe(true);
		expect(callbackUrl).toMatch(new RegExp(`^${base}${CALLBACK_PATH}\\?.*code=`));
		expect(status).toBe(200);
		expect(body).toMatchObject({
			accessToken: expect.any(String),
			tokenType: "Bearer",
			expiresIn: expect.any(Number),
			refreshToken: expect.any(String),
			user: { id: expect.any(String), email: people.ada.email.toLowerCase(), roles: ["customer"] },
		});
		const me = await whoami(body.accessToken);
		expect(me.status).toBe(200);
		expect(me.body).toMatchObject({ sub: body.user.id, roles: ["customer"] });
		// The account has no password anyone knows; the refresh token works as a password login's does.
		const guess = await api(base, "POST", "/api/auth/login", { email: people.ada.email, password });
		expect(guess.status).toBe(401);
		const refreshed = await api(base, "POST", "/api/auth/refresh", { refreshToken: body.refreshToken });
		expect(refreshed.status).toBe(200);
		expect(refreshed.body.user.id).toBe(body.user.id);
	});

	it("when the same person logs in again, even after changing their email at the provider, then it is the same account", async () => {
		const first = await loginAs("grace");
		expect(first.status).toBe(200);
		const again = await loginAs("grace");
		expect(again.body.user.id).toBe(first.body.user.id);
		// Same browser: the provider remembers the session and consent, and redirects straight back.
		const sameBrowser = await loginAs("grace", { browser: first.browser });
		expect(sameBrowser.status).toBe(200);
		expect(sameBrowser.body.user.id).toBe(first.body.user.id);

		provider.setPeople({ ...people, grace: { email: emailOf("grace-renamed"), email_verified: false } });
		try {
			const renamed = await loginAs("grace");
			expect(renamed.status).toBe(200);
			expect(renamed.body.user).toEqual(first.body.user);
		} finally {
			provider.setPeople(people);
		}
	});

	it("when a password account has the provider's verified email, then the login links to it and the password still works", async () => {
		const email = emailOf("linus");
		const signup = await api(base, "POST", "/api/auth/signup", { email, password });
		expect(signup.status).toBe(201);
		provider.setPeople({ ...people, linus: { email, email_verified: true } });
		const { status, body } = await loginAs("linus");
		expect(status).toBe(200);
		expect(body.user).toEqual(signup.body.user);
		expect((await api(base, "POST", "/api/auth/login", { email, password })).status).toBe(200);
	});

	it("when the provider has not verified the email, then 403 OIDC_EMAIL_NOT_VERIFIED and no account is made or linked", async () => {
		const { status, body } = await loginAs("mallory");
		expect(status).toBe(403);
		expect(body).toMatchObject({ ...ERROR_SHAPE, error: { status: 403, code: "OIDC_EMAIL_NOT_VERIFIED" } });
		// The address is still free: its owner can sign up with it.
		const signup = await api(base, "POST", "/api/auth/signup", { email: people.mallory.email, password });
		expect(signup.status).toBe(201);
		// And an unverified claim to that address does not reach the account now there either.
		expect((await loginAs("mallory")).status).toBe(403);
	});

	it("when a callback is replayed, or its state is unknown or missing, then 400 OIDC_STATE_INVALID", async () => {
		const { status, callbackUrl } = await loginAs("ada");
		expect(status).toBe(200);
		const replayed = await fetch(callbackUrl);
		expect(replayed.status).toBe(400);
		expect((await replayed.json()) as JsonResponse["body"]).toMatchObject({
			...ERROR_SHAPE,
			error: { code: "OIDC_STATE_INVALID" },
		});
		const forged = new URL(callbackUrl);
		forged.searchParams.set("state", "not-a-state-we-issued");
		expect((await fetch(forged)).status).toBe(400);
		const noState = await fetch(`${base}${CALLBACK_PATH}?code=abc`);
		expect(noState.status).toBe(400);
		expect(((await noState.json()) as JsonResponse["body"]).error.code).toBe("OIDC_STATE_INVALID");
	});

	it("when the person declines at the provider, then 401 OIDC_LOGIN_DENIED naming the provider's error", async () => {
		const { status, body } = await loginAs("ada", { decline: true });
		expect(status).toBe(401);
		expect(body).toMatchObject({
			...ERROR_SHAPE,
			error: { code: "OIDC_LOGIN_DENIED", details: { providerError: "access_denied" } },
		});
	});

	// Last: it stops the provider.
	it("when the provider is down at the callback, then 502 OIDC_PROVIDER_ERROR in the standard shape, not a 500", async () => {
		// A login started while the provider answers, its code never fetched: the callback's exchange fails.
		const started = await fetch(`${base}/api/auth/oidc/login`, { redirect: "manual" });
		const state = new URL(started.headers.get("location") as string).searchParams.get("state") as string;
		await provider.stop();
		const startedAt = Date.now();
		const res = await api(base, "GET", `${CALLBACK_PATH}?code=some-code&state=${state}&iss=${provider.issuer}`);
		expect(res.status).toBe(502);
		expect(res.body).toMatchObject({ ...ERROR_SHAPE, error: { status: 502, code: "OIDC_PROVIDER_ERROR" } });
		// A 5xx tells the client nothing of the cause (the auth node's log has it).
		expect(res.body.error.message).not.toMatch(/ECONNREFUSED|fetch failed/);
		// Connection refused is answered at once, not after the provider timeout.
		expect(Date.now() - startedAt).toBeLessThan(3000);
	});
});

/** Embedded nodes (SQLite, process memory): off without an issuer; a provider never reached is a 502. */
describe("OpenID Connect login: not configured, provider unreachable", () => {
	const brokers: ServiceBroker[] = [];
	const start = async (env: Record<string, string>) => {
		const config = testConfig(env);
		const broker = await startBroker(config, [gatewayService(config), authService(config)]);
		brokers.push(broker);
		return gatewayBaseUrl(broker);
	};
	afterAll(async () => {
		await Promise.allSettled(brokers.map((b) => b.stop()));
	});

	it("when OIDC_ISSUER_URL is empty, then both routes answer 404 OIDC_NOT_CONFIGURED", async () => {
		const base = await start({});
		for (const path of ["/api/auth/oidc/login", `${CALLBACK_PATH}?code=a&state=b`]) {
			const res = await api(base, "GET", path);
			expect(res.status).toBe(404);
			expect(res.body).toMatchObject({ ...ERROR_SHAPE, error: { code: "OIDC_NOT_CONFIGURED" } });
		}
	});

	it("when the provider cannot be reached for discovery, then the login route answers 502, and again on the next try", async () => {
		const deadPort = await freePort();
		const base = await start({
			OIDC_ISSUER_URL: `http://127.0.0.1:${deadPort}`,
			OIDC_CLIENT_ID: "shop",
			OIDC_REDIRECT_URL: `http://127.0.0.1:1${CALLBACK_PATH}`,
		});
		for (let attempt = 0; attempt < 2; attempt++) {
			const res = await api(base, "GET", "/api/auth/oidc/login");
			expect(res.status).toBe(502);
			expect(res.body).toMatchObject({ ...ERROR_SHAPE, error: { code: "OIDC_PROVIDER_ERROR" } });
		}
	});
});
