import { ClientError } from "../errors";

/** No usable access token: missing, malformed, badly signed, from another issuer, expired, or logged out. */
export const UNAUTHORIZED = "UNAUTHORIZED";
/** A valid token whose roles do not allow the request. */
export const FORBIDDEN = "FORBIDDEN";

/** Why a token was refused, for the client (`details.reason`); never the verifier's own message. */
export type TokenProblem = "TOKEN_MISSING" | "TOKEN_MALFORMED" | "TOKEN_INVALID" | "TOKEN_EXPIRED" | "TOKEN_REVOKED";

export class UnauthorizedError extends ClientError {
	constructor(reason: TokenProblem) {
		super(
			reason === "TOKEN_MISSING"
				? "Send an access token: Authorization: Bearer <token>"
				: "The access token is not valid",
			401,
			UNAUTHORIZED,
			{ reason },
		);
	}
}

export class ForbiddenError extends ClientError {
	constructor(role: string) {
		super(`This needs the ${role} role`, 403, FORBIDDEN, { requiredRole: role });
	}
}
