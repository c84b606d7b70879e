import type { IncomingMessage } from "node:http";
import { ForbiddenError, UnauthorizedError } from "../../lib/auth/auth.errors";

/** The caller as the gateway hands it on in `ctx.meta.user`: the token's claims. */
export interface RequestUser {
	sub: string;
	roles: string[];
	/** The token's id, which a logout revokes. */
	jti: string;
	/** The token's expiry, seconds since the epoch. */
	exp: number;
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
 * sent but not valid (badly signed, expired, logged out: `validate` decides) is refused here rather
 * than treated as anonymous.
 */
export async function authenticateRequest(
	req: IncomingMessage,
	validate: (token: string) => Promise<RequestUser>,
): Promise<RequestUser | null> {
	const token = bearerTokenOf(req);
	if (token === undefined) return null;
	return validate(token);
}

/** 401 for an anonymous caller, 403 for one without `role` (any caller will do without one). */
export function requireRole(user: RequestUser | null | undefined, role?: string): void {
	if (!user) throw new UnauthorizedError("TOKEN_MISSING");
	if (role !== undefined && !user.roles.includes(role)) throw new ForbiddenError(role);
}
