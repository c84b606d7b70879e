import { loadConfig } from "../../config";

const oidc = {
	OIDC_ISSUER_URL: "https://id.example.com",
	OIDC_CLIENT_ID: "shop",
	OIDC_REDIRECT_URL: "https://shop.example.com/api/auth/oidc/callback",
};
const production = {
	NODE_ENV: "production",
	JWT_SECRET: "a-production-secret-of-enough-length-1234",
	PAYMENTS_WEBHOOK_SECRET: "a-production-webhook-secret",
};

describe("OpenID Connect config", () => {
	it("when OIDC_ISSUER_URL is empty, then OIDC login is off", () => {
		expect(loadConfig({}).oidc).toBeNull();
	});

	it("when the issuer, client and callback are set, then the default scopes ask for the email and the issuer's host names the provider", () => {
		expect(loadConfig({ ...production, ...oidc }).oidc).toEqual({
			issuerUrl: "https://id.example.com",
			clientId: "shop",
			clientSecret: "",
			redirectUrl: "https://shop.example.com/api/auth/oidc/callback",
			scopes: "openid email profile",
			providerName: "id.example.com",
		});
	});

	it("when OIDC_PROVIDER_NAME and a secret are set, then they are kept", () => {
		const config = loadConfig({ ...oidc, OIDC_PROVIDER_NAME: "Acme ID", OIDC_CLIENT_SECRET: "s3cret" });
		expect(config.oidc).toMatchObject({ providerName: "Acme ID", clientSecret: "s3cret" });
	});

	it("when plain http is used outside production, then it is allowed (a provider on this machine)", () => {
		const config = loadConfig({ ...oidc, OIDC_ISSUER_URL: "http://127.0.0.1:9000" });
		expect(config.oidc?.issuerUrl).toBe("http://127.0.0.1:9000");
	});

	it.each([
		["no client id", { ...oidc, OIDC_CLIENT_ID: "" }, /OIDC_CLIENT_ID/],
		["no callback", { ...oidc, OIDC_REDIRECT_URL: "" }, /OIDC_REDIRECT_URL/],
		["scopes without openid", { ...oidc, OIDC_SCOPES: "email profile" }, /openid/],
		["an issuer that is no URL", { ...oidc, OIDC_ISSUER_URL: "id.example.com" }, /OIDC_ISSUER_URL/],
		["an http issuer in production", { ...production, ...oidc, OIDC_ISSUER_URL: "http://id.example.com" }, /https/],
		[
			"an http callback in production",
			{ ...production, ...oidc, OIDC_REDIRECT_URL: "http://shop.example.com/api/auth/oidc/callback" },
			/https/,
		],
	])("when the config has %s, then the node does not start", (_case, env, message) => {
		expect(() => loadConfig(env)).toThrow(message);
	});
});
