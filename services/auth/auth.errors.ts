import { Errors } from "moleculer";
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

export const OIDC_NOT_CONFIGURED = "OIDC_NOT_CONFIGURED";
export const OIDC_STATE_INVALID = "OIDC_STATE_INVALID";
export const OIDC_EMAIL_NOT_VERIFIED = "OIDC_EMAIL_NOT_VERIFIED";
export const OIDC_LOGIN_DENIED = "OIDC_LOGIN_DENIED";
export const OIDC_PROVIDER_ERROR = "OIDC_PROVIDER_ERROR";

/** OIDC_ISSUER_URL is empty: this shop offers no login through a provider. */
export class OidcNotConfiguredError extends ClientError {
	constructor() {
		super("Login through an OpenID provider is not configured", 404, OIDC_NOT_CONFIGURED);
	}
}

/** The callback's `state` names no login we started, or one that expired or was already finished. */
export class OidcStateInvalidError extends ClientError {
	constructor() {
		super("This login link is unknown, expired or already used: start the login again", 400, OIDC_STATE_INVALID);
	}
}

/** An address the provider has not verified proves nothing: it may not be the person's own. */
export class OidcEmailNotVerifiedError extends ClientError {
	constructor(provider: string) {
		super(`${provider} has not verified this account's email address`, 403, OIDC_EMAIL_NOT_VERIFIED);
	}
}

/** The provider sent the person back with an error (declined, cancelled) instead of a code. */
export class OidcLoginDeniedError extends ClientError {
	constructor(provider: string, providerError: string) {
		super(`${provider} did not log you in`, 401, OIDC_LOGIN_DENIED, { providerError });
	}
}

/**
 * The provider did not answer, or answered something that does not verify: not the client's fault, so
 * not a ClientError. The cause stays in the auth node's log; the client sees only the code.
 */
export class OidcProviderError extends Errors.MoleculerError {
	constructor(provider: string) {
		super(`${provider} could not complete the login`, 502, OIDC_PROVIDER_ERROR);
	}
}
