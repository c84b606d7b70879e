import type { AccessTokenClaims } from "../../lib/auth/access-token";
import type { KvStore } from "../../lib/kv";

/** A verifier accepts a token up to this long past its expiry (access-token.ts's clock tolerance). */
const CLOCK_TOLERANCE_MS = 5_000;

/** One logged-out token, kept until it would have expired anyway. */
const revokedKey = (jti: string) => `revoked:${jti}`;
/** An account's cut-off: its tokens issued before this second (epoch s) are revoked. */
const revokedBeforeKey = (userId: string) => `revoked-before:${userId}`;

/**
 * Access tokens revoked before they expire, in the key-value store `auth.validate` reads (Redis in a
 * cluster, so every auth node agrees). A single token is listed by its `jti`; all of an account's tokens
 * by a cut-off second: tokens carry `iat` in whole seconds, so the cut-off is the next whole second, and
 * tokens issued after it (the new pair of a password change) are signed as issued at the cut-off.
 */
export class AccessRevocations {
	constructor(
		private readonly kv: KvStore,
		/** Lifetime of an access token, seconds: nothing needs remembering longer. */
		private readonly accessTokenTtlS: number,
	) {}

	/** Revokes one token (a logout). */
	async revokeToken(claims: Pick<AccessTokenClaims, "jti" | "sub" | "exp">, now = Date.now()): Promise<void> {
		const ttlMs = claims.exp * 1000 - now;
		if (claims.jti && ttlMs > 0) await this.kv.set(revokedKey(claims.jti), claims.sub, ttlMs + CLOCK_TOLERANCE_MS);
	}

	/**
	 * Revokes every token of `userId` issued up to now; returns the cut-off (epoch s, exclusive). A second
	 * revocation within one second moves the cut-off past the tokens issued at the first one's.
	 */
	async revokeAllOf(userId: string, now = Date.now()): Promise<number> {
		const previous = Number((await this.kv.get(revokedBeforeKey(userId))) ?? 0);
		const cutoffS = Math.max(Math.floor(now / 1000) + 1, previous + 1);
		const ttlMs = (cutoffS + this.accessTokenTtlS) * 1000 - now + CLOCK_TOLERANCE_MS;
		await this.kv.set(revokedBeforeKey(userId), String(cutoffS), ttlMs);
		return cutoffS;
	}

	/** Is this (well-signed, unexpired) token revoked, by its id or by its account's cut-off? */
	async isRevoked(claims: Pick<AccessTokenClaims, "jti" | "sub">, issuedAtS: number): Promise<boolean> {
		const [listed, cutoff] = await Promise.all([
			claims.jti ? this.kv.get(revokedKey(claims.jti)) : null,
			this.kv.get(revokedBeforeKey(claims.sub)),
		]);
		return listed !== null || (cutoff !== null && issuedAtS < Number(cutoff));
	}

	/**
	 * The time (epoch ms) to sign a new token of `userId` at: now, or the account's cut-off when that is
	 * still ahead (at most a second or two), so a token issued right after a revocation is not under it.
	 */
	async signingTimeFor(userId: string, now = Date.now()): Promise<number> {
		const cutoff = await this.kv.get(revokedBeforeKey(userId));
		return cutoff !== null && Number(cutoff) * 1000 > now ? Number(cutoff) * 1000 : now;
	}
}
