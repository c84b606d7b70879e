/**
 * A real OpenID provider (the `oidc-provider` package) for the OIDC login spec, run with plain `node` in a
 * child process so Jest never loads it. Its settings come as JSON in OIDC_TEST_PROVIDER:
 * `{"clientId","clientSecret","redirectUri","accountsFile"}`. It listens on a free port of 127.0.0.1 and
 * prints one line, `{"issuer": "http://127.0.0.1:<port>"}`, when it answers.
 *
 * Accounts are read from `accountsFile` at every lookup, `{"<login>": {"email","email_verified"}}`, so the
 * test can change a person's email at the provider between logins; the login name is their `sub`.
 * The login and consent pages are oidc-provider's development interactions: the login form takes any
 * login name of that file, with no password.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import Provider from "oidc-provider";

const settings = JSON.parse(process.env.OIDC_TEST_PROVIDER ?? "{}");

const server = http.createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
	clients: [
		{
			client_id: settings.clientId,
			client_secret: settings.clientSecret,
			redirect_uris: [settings.redirectUri],
			token_endpoint_auth_method: "client_secret_post",
			grant_types: ["authorization_code"],
			response_types: ["code"],
		},
	],
	async findAccount(_ctx, id) {
		const person = JSON.parse(readFileSync(settings.accountsFile, "utf8"))[id];
		if (!person) return undefined;
		return {
			accountId: id,
			async claims() {
				return { sub: id, email: person.email, email_verified: person.email_verified };
			},
		};
	},
	claims: { openid: ["sub"], email: ["email", "email_verified"] },
	cookies: { keys: ["oidc-test-provider-cookie-key"] },
	pkce: { required: () => true },
});
// The dev interactions' warnings go to stderr; the parent reads only stdout.
server.on("request", provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);

process.on("SIGTERM", () => server.close(() => process.exit(0)));
