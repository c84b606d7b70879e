import type { Context } from "moleculer";
import type { AccessTokenClaims } from "./access-token";
import { UnauthorizedError } from "./auth.errors";

/** Who called: the claims of the access token the gateway validated, which it puts in `ctx.meta.user`. */
export type Caller = AccessTokenClaims;

/** The caller, or null for an anonymous request (no token sent). */
export function callerOf(ctx: Context): Caller | null {
	return (ctx.meta as { user?: Caller | null }).user ?? null;
}

/** The caller; 401 `TOKEN_MISSING` for an anonymous request. */
export function requireCallerOf(ctx: Context): Caller {
	const caller = callerOf(ctx);
	if (!caller) throw new UnauthorizedError("TOKEN_MISSING");
	return caller;
}

/** The operators' role: admin routes need it, and it sees every user's orders and payments. */
export const ADMIN_ROLE = "admin";

export function isAdmin(caller: Caller | null): boolean {
	return caller?.roles.includes(ADMIN_ROLE) ?? false;
}
