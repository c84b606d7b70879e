import type { Caller } from "../../lib/auth/caller";
import type { TokensRevoked } from "../../lib/auth/tokens-revoked";

/** Tokens remembered at most; past it the memory starts over (a flood of distinct tokens must not grow it). */
const MAX_REMEMBERED = 10_000;

interface Remembered {
	/** The answer, or the question still on its way (concurrent requests with one token share it). */
	user: Promise<Caller>;
	/** Until when a "valid" is reused, epoch ms; set when the answer is a valid. */
	until: number;
	/** Whom the token names, once the answer is a valid (what a revocation is matched against). */
	caller: Caller | undefined;
}

/**
 * Asks the auth service about a bearer token (`auth.validate`: signature, expiry, revocation) and
 * remembers a "valid" for `cacheMs`, never past the token's expiry. A client sends the same token on
 * every request, so with the cache most requests cost no call. A revocation (logout, password change,
 * a refresh token used twice) is broadcast by the auth service and handed to `forget`, so a revoked token
 * is asked about again on its very next request instead of up to `cacheMs` later.
 * Refusals are not remembered: they are rare and must stay current.
 * Requests that arrive while a token is being asked about wait for that one answer instead of each
 * asking again (at 6,000 requests/s on one token that was a burst of 200 calls every `cacheMs`).
 *
 * `ask` gets the request's context from `validate`, so the call is that request's child (its span and
 * log lines carry the correlation id). It is passed once, not per request: a closure per request costs
 * measurably under tsx, which names every function it creates.
 */
export class TokenValidator<TContext> {
	private readonly remembered = new Map<string, Remembered>();

	constructor(
		private readonly cacheMs: number,
		private readonly ask: (token: string, context: TContext) => Promise<Caller>,
	) {}

	validate(token: string, context: TContext, now = Date.now()): Promise<Caller> {
		const known = this.remembered.get(token);
		if (known && known.until > now) return known.user;
		if (this.cacheMs <= 0) return this.ask(token, context);
		if (this.remembered.size >= MAX_REMEMBERED) this.remembered.clear();
		// Until the answer comes, `until` covers the wait; the answer sets it (valid) or forgets the token.
		const entry: Remembered = { user: this.ask(token, context), until: Number.POSITIVE_INFINITY, caller: undefined };
		this.remembered.set(token, entry);
		entry.user.then(
			(user) => {
				entry.until = Math.min(now + this.cacheMs, user.exp * 1000);
				entry.caller = user;
			},
			() => {
				if (this.remembered.get(token) === entry) this.remembered.delete(token);
			},
		);
		return entry.user;
	}

	/**
	 * Drops the revoked tokens (by `jti`, or every token of `userId`) and every answer still on its way: an
	 * answer asked for before the revocation may say "valid", and requests arriving now must not share it.
	 * A scan of at most MAX_REMEMBERED entries, once per revocation; requests pay nothing for it.
	 */
	forget(revoked: TokensRevoked): void {
		const jtis = new Set(revoked.jtis ?? []);
		for (const [token, entry] of this.remembered) {
			const caller = entry.caller;
			if (!caller || jtis.has(caller.jti) || caller.sub === revoked.userId) this.remembered.delete(token);
		}
	}

	/** Drops everything: after the transporter reconnects, revocations broadcast meanwhile were missed. */
	forgetAll(): void {
		this.remembered.clear();
	}
}
