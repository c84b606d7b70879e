import type { IncomingMessage, ServerResponse } from "node:http";

/** What a browser may send cross-origin: the methods our routes use and the headers they read. */
const ALLOWED_METHODS = "GET, POST, PUT, DELETE";
const ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-API-Version, X-Correlation-Id, X-Request-Id";
/** Response headers a browser script may read besides the CORS-safelisted ones. */
const EXPOSED_HEADERS =
	"Location, Retry-After, X-Correlation-Id, X-Rate-Limit-Limit, X-Rate-Limit-Remaining, X-Rate-Limit-Reset";
/** How long a browser may reuse a preflight's answer. */
const PREFLIGHT_MAX_AGE_S = "600";

/**
 * The headers every response of the edge carries, set before routing: `nosniff` (a JSON answer is never run as
 * a script or a page) and no Referer sent onward from our pages; and CORS for the configured browser origins.
 * An allowed origin gets `Access-Control-Allow-Origin` (and a preflight the methods and headers it may use); any
 * other origin gets no CORS header at all, so the browser keeps the answer from the page (the request itself is
 * served as for any client: CORS protects browsers' users, not the API). With origins configured, every answer
 * says `Vary: Origin`, so a cache does not hand one origin's answer to another.
 *
 * Returns true when it answered the request itself (a CORS preflight: 204).
 */
export function edgeHeaders(origins: readonly string[]): (req: IncomingMessage, res: ServerResponse) => boolean {
	const anyOrigin = origins.includes("*");
	const allowed = new Set(origins);
	const cors = origins.length > 0;
	return (req, res) => {
		res.setHeader("X-Content-Type-Options", "nosniff");
		res.setHeader("Referrer-Policy", "no-referrer");
		if (!cors) return false;
		const origin = req.headers.origin;
		if (!anyOrigin) res.setHeader("Vary", "Origin");
		const originAllowed = origin !== undefined && (anyOrigin || allowed.has(origin));
		if (originAllowed) {
			res.setHeader("Access-Control-Allow-Origin", anyOrigin ? "*" : origin);
			res.setHeader("Access-Control-Expose-Headers", EXPOSED_HEADERS);
		}
		if (req.method !== "OPTIONS" || origin === undefined || !req.headers["access-control-request-method"]) return false;
		if (originAllowed) {
			res.setHeader("Access-Control-Allow-Methods", ALLOWED_METHODS);
			res.setHeader("Access-Control-Allow-Headers", ALLOWED_HEADERS);
			res.setHeader("Access-Control-Max-Age", PREFLIGHT_MAX_AGE_S);
		}
		res.writeHead(204);
		res.end();
		return true;
	};
}
