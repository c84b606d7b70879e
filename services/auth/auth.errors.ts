import { ClientError } from "../../lib/errors";

/** Stable error types: clients and tests branch on these, never on messages. */
export const EMAIL_TAKEN = "EMAIL_TAKEN";
export const INVALID_CREDENTIALS = "INVALID_CREDENTIALS";
export const REFRESH_TOKEN_INVALID = "REFRESH_TOKEN_INVALID";
export const TOO_MANY_FAILED_LOGINS = "TOO_MANY_FAILED_LOGINS";

export class EmailTakenError extends ClientError {
	constructor() {
		super("An account with this email already exists", 409, EMAIL_TAKEN);
	}
}

/** The same answer for an unknown email and a wrong password: it must not tell which. */
export class InvalidCredentialsError extends ClientError {
	constructor() {
		super("Email or password is wrong", 401, INVALID_CREDENTIALS);
	}
}

/**
 * Why a refresh token was refused: `UNKNOWN` (never issued, or mistyped), `EXPIRED`, `REVOKED` (logged
 * out), or `REUSED` (already rotated once: the whole family is now revoked, as a stolen copy may be in use).
 */
export type RefreshProblem = "UNKNOWN" | "EXPIRED" | "REVOKED" | "REUSED";

export class RefreshTokenInvalidError extends ClientError {
	constructor(reason: RefreshProblem) {
		super("The refresh token is not valid: log in again", 401, REFRESH_TOKEN_INVALID, { reason });
	}
}

/**
 * Too many failed logins for this email or from this address: come back after `retryAfterS` (also the
 * `Retry-After` header). The same answer for an email with an account and one without.
 */
export class TooManyFailedLoginsError extends ClientError {
	constructor(retryAfterS: number) {
		super("Too many failed logins: try again later", 429, TOO_MANY_FAILED_LOGINS, { retryAfterS });
	}
}
