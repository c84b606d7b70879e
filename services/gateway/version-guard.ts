import type { IncomingMessage } from "node:http";
import { ClientError } from "../../lib/errors";
import { headerOf } from "./headers";

export const SUPPORTED_API_VERSION = "v1";
export const API_VERSION_REQUIRED = "API_VERSION_REQUIRED";
export const UNSUPPORTED_API_VERSION = "UNSUPPORTED_API_VERSION";

/** Routes callable without `X-API-Version`: health probes and authentication. */
const EXEMPT = [/^\/api\/health\/?(\?|$)/, /^\/api\/auth(\/|\?|$)/];

/** Rejects a non-exempt `/api/**` request that does not ask for a supported API version. */
export function checkApiVersion(req: IncomingMessage): void {
	const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? "";
	if (EXEMPT.some((pattern) => pattern.test(url))) return;
	const version = headerOf(req, "x-api-version");
	if (!version) {
		throw new ClientError(`Send the X-API-Version header: ${SUPPORTED_API_VERSION}`, 400, API_VERSION_REQUIRED);
	}
	if (version !== SUPPORTED_API_VERSION) {
		throw new ClientError(
			`X-API-Version "${version}" is not supported: send X-API-Version: ${SUPPORTED_API_VERSION}`,
			400,
			UNSUPPORTED_API_VERSION,
		);
	}
}
