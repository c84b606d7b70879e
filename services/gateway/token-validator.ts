import type { RequestUser } from "./bearer-auth";

/** Tokens remembered at most; past it the memory starts over (a flood of distinct tokens must not grow it). */
const MAX_REMEMBERED = 10_000;

/**
 * Asks the auth service about a bearer token (`auth.validate`: signature, expiry, revocation) and
 * remembers a "valid" for `cacheMs`, never past the token's expiry. A client sends the same token on
 * every request, so with the cache most requests cost no call; the price is that a logout takes up to
 * `cacheMs` to reach this gateway. Refusals are not remembered: they are rare and must stay current.
 */
export class TokenValidator {
	private readonly valid = new Map<string, { user: RequestUser; until: number }>();

	constructor(private readonly cacheMs: number) {}

	/** `ask` calls `auth.validate` in the request's context, so its span and log lines carry the request's ids. */
	async validate(token: string, ask: (token: string) => Promise<RequestUser>, now = Date.now()): Promise<RequestUser> {
		const remembered = this.valid.get(token);
		if (remembered && remembered.until > now) return remembered.user;
		const user = await ask(token);
		if (this.cacheMs > 0) {
			if (this.valid.size >= MAX_REMEMBERED) this.valid.clear();
			this.valid.set(token, { user, until: Math.min(now + this.cacheMs, user.exp * 1000) });
		}
		return user;
	}
}
