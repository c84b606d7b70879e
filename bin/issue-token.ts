/**
 * Prints an access token, for operators until the auth service issues them:
 *
 *   npm run -s token -- --sub ops --role admin [--role other] [--ttl 3600]
 *
 * Signs with the same JWT_SECRET / JWT_ISSUER the gateway verifies with (read from the environment,
 * as a node reads it); `--ttl` overrides JWT_TTL_S. Bad arguments or config: one line, exit code 2.
 */
import { parseArgs } from "node:util";
import { ConfigError, getConfig } from "../config";
import { signAccessToken } from "../lib/auth/access-token";

const USAGE = "usage: npm run -s token -- --sub <subject> [--role <role>]... [--ttl <seconds>]";

function fail(message: string): never {
	process.stderr.write(`[issue-token] ${message}\n`);
	process.exit(2);
}

function usageError(message: string): never {
	return fail(`${message}\n${USAGE}`);
}

function parse() {
	try {
		return parseArgs({
			options: {
				sub: { type: "string" },
				role: { type: "string", multiple: true },
				ttl: { type: "string" },
			},
			strict: true,
			allowPositionals: false,
		}).values;
	} catch (err) {
		return usageError((err as Error).message);
	}
}

async function main(): Promise<void> {
	const args = parse();
	if (!args.sub) usageError("--sub is required");
	const ttl = args.ttl === undefined ? undefined : Number(args.ttl);
	if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0))
		usageError("--ttl must be a positive integer (seconds)");
	let auth: ReturnType<typeof getConfig>["auth"];
	try {
		auth = getConfig().auth;
	} catch (err) {
		if (err instanceof ConfigError) fail(err.message);
		throw err;
	}
	const token = await signAccessToken(
		{ sub: args.sub, roles: args.role ?? [] },
		{ ...auth, accessTokenTtlS: ttl ?? auth.accessTokenTtlS },
	);
	process.stdout.write(`${token}\n`);
}

main().catch((err: Error) => fail(`unexpected failure: ${err.message}`));
