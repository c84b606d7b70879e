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
	it("when nothing is set outside production, then tokens use the named development secret, issuer shop and 900 s", () => {
		for (const NODE_ENV of ["development", "test"]) {
			expect(loadConfig({ NODE_ENV }).auth).toEqual({
				jwtSecret: DEV_JWT_SECRET,
				jwtIssuer: "shop",
				accessTokenTtlS: 900,
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

	it("when NODE_ENV=production and JWT_SECRET is set, then it is used with JWT_ISSUER and JWT_TTL_S", () => {
		const secret = "a-production-secret-of-enough-length-1234";
		expect(
			loadConfig({ NODE_ENV: "production", JWT_SECRET: secret, JWT_ISSUER: "shop-prod", JWT_TTL_S: "300" }).auth,
		).toEqual({ jwtSecret: secret, jwtIssuer: "shop-prod", accessTokenTtlS: 300 });
	});

	it.each([
		["JWT_SECRET", "shorter-than-32-bytes"],
		["JWT_TTL_S", "0"],
		["JWT_TTL_S", "ten"],
	])("when %s=%s, then loading fails naming it", (name, value) => {
		const error = loadError({ [name]: value });
		expect(error).toBeInstanceOf(ConfigError);
		expect(error?.message).toContain(name);
	});
});
