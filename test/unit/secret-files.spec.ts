import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError, loadConfig } from "../../config";

describe("secrets from files (<NAME>_FILE)", () => {
	const dir = mkdtempSync(path.join(os.tmpdir(), "shop-secrets-"));
	const secretFile = (name: string, content: string) => {
		const file = path.join(dir, name);
		writeFileSync(file, content);
		return file;
	};

	it("when a secret is given as a file, then its content is the setting, without the line break echo wrote", () => {
		const config = loadConfig({
			NODE_ENV: "production",
			JWT_SECRET_FILE: secretFile("jwt", "a-private-signing-key-of-at-least-32-bytes\n"),
			PAYMENTS_WEBHOOK_SECRET_FILE: secretFile("webhook", "a-private-webhook-secret"),
			DATABASE_URL_FILE: secretFile("db", "mysql://shop:p%40ss@127.0.0.1:3306\n"),
			NOTIFY_PROVIDER: "smtp",
			SMTP_URL_FILE: secretFile("smtp", "smtps://mailer:s3cret@mail.example.com:465\n"),
		});
		expect(config.auth.jwtSecret).toBe("a-private-signing-key-of-at-least-32-bytes");
		expect(config.db.url).toBe("mysql://shop:p%40ss@127.0.0.1:3306");
		expect(config.notifications.smtpUrl).toBe("smtps://mailer:s3cret@mail.example.com:465");
	});

	it("when a secret file holds a value its setting refuses, then the error names the setting", () => {
		expect(() => loadConfig({ DATABASE_URL_FILE: secretFile("bad-db", "postgres://x@y:1\n") })).toThrow(/DATABASE_URL/);
	});

	it("when a URL with credentials is malformed, then the error names the setting but not the password", () => {
		const refused = () =>
			loadConfig({ DATABASE_URL_FILE: secretFile("typo-db", "mysql://shop:TOPSECRET@db:notaport\n") });
		expect(refused).toThrow(/DATABASE_URL: not a URL: "mysql:\/\/\*\*\*@db:notaport"/);
		expect(refused).not.toThrow(/TOPSECRET/);
	});

	it.each([
		[
			"both the setting and its file are set",
			{ JWT_SECRET: "x".repeat(40), JWT_SECRET_FILE: "/nonexistent" },
			/JWT_SECRET or JWT_SECRET_FILE, not both/,
		],
		[
			"the file does not exist",
			{ SMTP_URL_FILE: path.join(dir, "missing") },
			/SMTP_URL_FILE \(.*missing\) cannot be read/,
		],
	])("when %s, then the node refuses to start, saying so", (_case, env, message) => {
		expect(() => loadConfig(env as NodeJS.ProcessEnv)).toThrow(ConfigError);
		expect(() => loadConfig(env as NodeJS.ProcessEnv)).toThrow(message);
	});

	it("when a *_FILE setting is empty, then it is unset, as an empty setting is", () => {
		expect(loadConfig({ ADMIN_PASSWORD_FILE: "" }).auth).toMatchObject({});
		expect(() => loadConfig({ ADMIN_PASSWORD_FILE: "" })).not.toThrow();
	});

	it("when a secret file holds only a line break, then the node refuses to start rather than run with no secret", () => {
		expect(() => loadConfig({ ADMIN_PASSWORD_FILE: secretFile("empty", "\n") })).toThrow(
			/ADMIN_PASSWORD_FILE .* is empty/,
		);
	});
});
