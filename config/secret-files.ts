import { readFileSync } from "node:fs";
import { ConfigError } from "./config-error";

/**
 * The settings that carry secrets (keys, passwords, URLs with credentials). Each may be given as the path
 * of a file holding it in `<NAME>_FILE` instead, as Docker and Kubernetes mount secrets: the value then
 * never sits in the environment, where `ps e`, crash reports and `docker inspect` show it.
 */
export const SECRET_SETTINGS = [
	"JWT_SECRET",
	"ADMIN_PASSWORD",
	"OIDC_CLIENT_SECRET",
	"PAYMENTS_WEBHOOK_SECRET",
	"DATABASE_URL",
	"REDIS_URL",
	"EVENTS_URL",
	"TRANSPORTER",
	"SEARCH_URL",
	"SMTP_URL",
] as const;

/**
 * `env` with every `<NAME>_FILE` of a secret setting replaced by `<NAME>` set to the file's content (one
 * trailing line break dropped: `echo secret > file` writes one). Setting both is an error, as is a file
 * that cannot be read or is empty: a node must not start on a secret it did not get.
 */
export function withSecretFiles(
	env: NodeJS.ProcessEnv,
	read: (file: string) => string = (file) => readFileSync(file, "utf8"),
): NodeJS.ProcessEnv {
	const resolved: NodeJS.ProcessEnv = { ...env };
	for (const name of SECRET_SETTINGS) {
		const file = env[`${name}_FILE`];
		if (file === undefined || file === "") continue;
		if (env[name] !== undefined && env[name] !== "") {
			throw new ConfigError(`invalid configuration: set ${name} or ${name}_FILE, not both`);
		}
		let content: string;
		try {
			content = read(file);
		} catch (err) {
			throw new ConfigError(`invalid configuration: ${name}_FILE (${file}) cannot be read: ${(err as Error).message}`);
		}
		const value = content.replace(/\r?\n$/, "");
		if (value === "") throw new ConfigError(`invalid configuration: ${name}_FILE (${file}) is empty`);
		resolved[name] = value;
		delete resolved[`${name}_FILE`];
	}
	return resolved;
}
