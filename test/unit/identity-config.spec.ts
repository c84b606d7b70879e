import { ConfigError, loadConfig } from "../../config";

function loadError(env: Record<string, string>): Error | undefined {
	try {
		loadConfig(env);
	} catch (err) {
		return err as Error;
	}
	return undefined;
}

const production = {
	NODE_ENV: "production",
	JWT_SECRET: "a-production-secret-of-enough-length-1234",
	PAYMENTS_WEBHOOK_SECRET: "a-production-webhook-secret",
};

describe("identity config", () => {
	it("when nothing is set, then there is no admin account, no trusted proxy, and failed logins are limited", () => {
		const config = loadConfig({});
		expect(config.adminAccount).toBeNull();
		expect(config.trustedProxies).toEqual([]);
		expect(config.loginLimits).toEqual({ maxFailuresPerAccount: 10, maxFailuresPerIp: 100, windowMs: 900_000 });
	});

	it("when ADMIN_EMAIL and ADMIN_PASSWORD are set, then the email is normalised as signup does", () => {
		const config = loadConfig({
			...production,
			ADMIN_EMAIL: " Ops@Example.COM ",
			ADMIN_PASSWORD: "a long operator password",
		});
		expect(config.adminAccount).toEqual({ email: "ops@example.com", password: "a long operator password" });
	});

	it.each([
		["a short password in production", { ...production, ADMIN_EMAIL: "ops@example.com", ADMIN_PASSWORD: "1234567" }],
		["a short password anywhere", { ADMIN_EMAIL: "ops@example.com", ADMIN_PASSWORD: "admin" }],
		["a password over 128 characters", { ADMIN_EMAIL: "ops@example.com", ADMIN_PASSWORD: "x".repeat(129) }],
		["an email without a password", { ADMIN_EMAIL: "ops@example.com" }],
		["a password without an email", { ADMIN_PASSWORD: "a long operator password" }],
		["an email that is not one", { ADMIN_EMAIL: "ops", ADMIN_PASSWORD: "a long operator password" }],
	])("when the admin account has %s, then loading fails naming the variable", (_what, env) => {
		const error = loadError(env);
		expect(error).toBeInstanceOf(ConfigError);
		expect(error?.message).toMatch(/ADMIN_(EMAIL|PASSWORD)/);
	});

	it("when TRUSTED_PROXIES lists addresses and ranges, then they are kept; a bad entry fails loading", () => {
		expect(loadConfig({ TRUSTED_PROXIES: "10.0.0.0/8, 192.0.2.7,::1" }).trustedProxies).toEqual([
			"10.0.0.0/8",
			"192.0.2.7",
			"::1",
		]);
		expect(loadError({ TRUSTED_PROXIES: "10.0.0.0/8,lb.internal" })?.message).toContain("TRUSTED_PROXIES");
	});

	it("when the login limits are set, then they are read; 0 turns one off", () => {
		const config = loadConfig({
			AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT: "5",
			AUTH_LOGIN_MAX_FAILURES_PER_IP: "0",
			AUTH_LOGIN_FAILURE_WINDOW_S: "60",
		});
		expect(config.loginLimits).toEqual({ maxFailuresPerAccount: 5, maxFailuresPerIp: 0, windowMs: 60_000 });
		expect(loadError({ AUTH_LOGIN_FAILURE_WINDOW_S: "0" })?.message).toContain("AUTH_LOGIN_FAILURE_WINDOW_S");
	});
});
