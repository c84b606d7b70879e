import type { IncomingMessage } from "node:http";
import { type AccessTokenSettings, verifyAccessToken } from "../../lib/auth/access-token";
import { ForbiddenError, UnauthorizedError } from "../../lib/auth/auth.errors";

/** The caller as the gateway hands it on in `ctx.meta.user`. */
export interface RequestUser {
	sub: string;
	roles: string[];
}

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/** The request's bearer token; undefined when it sends no Authorization header. */
export function bearerTokenOf(req: IncomingMessage): string | undefined {
	const header = req.headers.authorization;
	if (header === undefined || header === "") return undefined;
	const token = BEARER.exec(header)?.[1];
	if (!token) throw new UnauthorizedError("TOKEN_MALFORMED");
	return token;
}

/**
 * The caller named by the request's access token, or null for an anonymous request. A token that is
 * sent but not valid is refused here rather than treated as anonymous. (When the auth service exists,
 * this asks `auth.validate`, which also knows revoked tokens.)
 */
export async function authenticateRequest(
	req: IncomingMessage,
	settings: Pick<AccessTokenSettings, "jwtSecret" | "jwtIssuer">,
): Promise<RequestUser | null> {
	const token = bearerTokenOf(req);
	if (token === undefined) return null;
	const { sub, roles } = await verifyAccessToken(token, settings);
	return { sub, roles };
}

/** 401 for an anonymous caller, 403 for one without `role`. */
export function requireRole(user: RequestUser | null | undefined, role: string): void {
	if (!user) throw new UnauthorizedError("TOKEN_MISSING");
	if (!user.roles.includes(role)) throw new ForbiddenError(role);
}
