/**
 * Access tokens: HS256 JWTs with `sub`, `roles`, `iss`, `iat`, `exp` and `jti` (the id a blacklist can
 * name). One module both signs (the auth service; bin/issue-token until it exists) and verifies (the
 * gateway), so the two can never disagree on the claims.
 */
import { randomUUID } from "node:crypto";
import { decodeJwt, jwtVerify, SignJWT } from "jose";
import { UnauthorizedError } from "./auth.errors";

const ALGORITHM = "HS256";
/** Nodes' clocks differ a little; a token is not refused for being a few seconds early or late. */
const CLOCK_TOLERANCE_S = 5;

/** What the signer and the verifier share (`config.auth`). */
export interface AccessTokenSettings {
	jwtSecret: string;
	jwtIssuer: string;
	/** Lifetime of a new token, seconds. */
	accessTokenTtlS: number;
}

/** The caller a valid token names. */
export interface AccessTokenClaims {
	sub: string;
	roles: string[];
	jti: string;
	/** Expiry, seconds since the epoch. */
	exp: number;
}

function keyOf(settings: Pick<AccessTokenSettings, "jwtSecret">): Uint8Array {
	return new TextEncoder().encode(settings.jwtSecret);
}

/** Signs a token for `sub` with `roles`, valid for `accessTokenTtlS` from `now` (ms). */
export async function signAccessToken(
	subject: { sub: string; roles: readonly string[] },
	settings: AccessTokenSettings,
	now: number = Date.now(),
): Promise<string> {
	const iat = Math.floor(now / 1000);
	return new SignJWT({ roles: [...subject.roles] })
		.setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
		.setSubject(subject.sub)
		.setIssuer(settings.jwtIssuer)
		.setIssuedAt(iat)
		.setExpirationTime(iat + settings.accessTokenTtlS)
		.setJti(randomUUID())
		.sign(keyOf(settings));
}

function isRoleList(value: unknown): value is string[] {
	return Array.isArray(value) && value.every((role) => typeof role === "string");
}

/**
 * The claims of a token signed with our secret by our issuer and not expired. Anything else throws
 * UnauthorizedError (`TOKEN_EXPIRED` or `TOKEN_INVALID`); a token without a `roles` list is invalid,
 * not "no roles": the claim is part of the contract.
 */
export async function verifyAccessToken(
	token: string,
	settings: Pick<AccessTokenSettings, "jwtSecret" | "jwtIssuer">,
	now: number = Date.now(),
): Promise<AccessTokenClaims> {
	let payload: Record<string, unknown>;
	try {
		({ payload } = await jwtVerify(token, keyOf(settings), {
			algorithms: [ALGORITHM],
			issuer: settings.jwtIssuer,
			requiredClaims: ["sub", "exp", "roles"],
			clockTolerance: CLOCK_TOLERANCE_S,
			currentDate: new Date(now),
		}));
	} catch (err) {
		throw new UnauthorizedError(
			(err as { code?: string }).code === "ERR_JWT_EXPIRED" ? "TOKEN_EXPIRED" : "TOKEN_INVALID",
		);
	}
	const { sub, roles, jti, exp } = payload;
	if (typeof sub !== "string" || sub === "" || !isRoleList(roles) || typeof exp !== "number") {
		throw new UnauthorizedError("TOKEN_INVALID");
	}
	return { sub, roles, jti: typeof jti === "string" ? jti : "", exp };
}

/**
 * When a token was issued (`iat`, epoch seconds; 0 when it has none). Reads the payload without
 * checking it: only for a token verifyAccessToken has already accepted.
 */
export function issuedAtOf(token: string): number {
	const { iat } = decodeJwt(token);
	return typeof iat === "number" ? iat : 0;
}
