/**
 * The broadcast the auth service sends when access tokens stop being valid before they expire, so
 * every gateway drops what it remembers of them at once instead of reusing a "valid" for up to
 * AUTH_VALIDATE_CACHE_MS. The revocation itself is in auth's key-value store (what `auth.validate`
 * checks); this event only empties the gateways' caches.
 */
export const TOKENS_REVOKED_EVENT = "auth.tokensRevoked";

export interface TokensRevoked {
	/** Single tokens, by their `jti` (a logout). */
	jtis?: string[];
	/**
	 * Every token of this account issued before `issuedBeforeS` (epoch seconds, exclusive): a password
	 * change, or a refresh token used twice (access tokens do not name their refresh-token family).
	 */
	userId?: string;
	issuedBeforeS?: number;
}
