import { ConfigError, DEV_JWT_SECRET, loadConfig } from "../../config";

function loadError(env: Record<string, string>): Error | undefined {
	try {
		loadConfig(env);
	} catch (err) {
		return err as Error;
	}
	return undefined;
}

describe("JWT config", () => {
	it("when nothing is set outside production, then tokens use the named development secret, issuer shop, 900 s and 30 days", () => {
		for (const NODE_ENV of ["development", "test"]) {
			expect(loadConfig({ NODE_ENV }).auth).toEqual({
				jwtSecret: DEV_JWT_SECRET,
				jwtIssuer: "shop",
				accessTokenTtlS: 900,
				refreshTokenTtlS: 30 * 86_400,
				validateCacheMs: 1000,
			});
		}
		expect(loadConfig({}).auth.jwtSecret).toBe(DEV_JWT_SECRET);
	});

	it("when NODE_ENV=production and JWT_SECRET is unset, then loading fails with one line naming JWT_SECRET", () => {
		const error = loadError({ NODE_ENV: "production" });
		expect(error).toBeInstanceOf(ConfigError);
		expect(error?.message).toContain("JWT_SECRET");
		expect(error?.message).not.toContain("\n");
	});

	it("when NODE_ENV=production and JWT_SECRET is the development secret, then loading fails", () => {
		expect(loadError({ NODE_ENV: "production", JWT_SECRET: DEV_JWT_SECRET })?.message).toContain("JWT_SECRET");
	});

	it("when NODE_ENV=production and JWT_SECRET is set, then it is used with JWT_ISSUER, JWT_TTL_S and the refresh settings", () => {
		const secret = "a-production-secret-of-enough-length-1234";
		const env = { JWT_SECRET: secret, JWT_ISSUER: "shop-prod", JWT_TTL_S: "300", REFRESH_TOKEN_TTL_S: "3600" };
		const webhook = { PAYMENTS_WEBHOOK_SECRET: "a-production-webhook-secret" };
		expect(loadConfig({ NODE_ENV: "production", ...env, ...webhook, AUTH_VALIDATE_CACHE_MS: "0" }).auth).toEqual({
			jwtSecret: secret,
			jwtIssuer: "shop-prod",
			accessTokenTtlS: 300,
			refreshTokenTtlS: 3600,
			validateCacheMs: 0,
		});
	});

	it.each([
		["JWT_SECRET", "shorter-than-32-bytes"],
		["JWT_TTL_S", "0"],
		["JWT_TTL_S", "ten"],
		["REFRESH_TOKEN_TTL_S", "0"],
		["AUTH_VALIDATE_CACHE_MS", "-1"],
	])("when %s=%s, then loading fails naming it", (name, value) => {
		const error = loadError({ [name]: value });
		expect(error).toBeInstanceOf(ConfigError);
		expect(error?.message).toContain(name);
	});
});
