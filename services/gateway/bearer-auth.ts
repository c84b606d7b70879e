import type { IncomingMessage } from "node:http";
import { ForbiddenError, UnauthorizedError } from "../../lib/auth/auth.errors";
import type { Caller } from "../../lib/auth/caller";

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/**
 * The request's bearer token; undefined when it sends no Authorization header (an anonymous caller).
 * A header that is not `Bearer <token>` is refused here rather than treated as anonymous; whether the
 * token is valid is `auth.validate`'s to say.
 */
export function bearerTokenOf(req: IncomingMessage): string | undefined {
	const header = req.headers.authorization;
	if (header === undefined || header === "") return undefined;
	const token = BEARER.exec(header)?.[1];
	if (!token) throw new UnauthorizedError("TOKEN_MALFORMED");
	return token;
}

/** 401 for an anonymous caller, 403 for one without `role` (any caller will do without one). */
export function requireRole(user: Caller | null, role?: string): void {
	if (!user) throw new UnauthorizedError("TOKEN_MISSING");
	if (role !== undefined && !user.roles.includes(role)) throw new ForbiddenError(role);
}
