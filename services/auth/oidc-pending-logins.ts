import type { KvStore } from "../../lib/kv";

/** What the callback needs to check the provider's answer against: kept by us, never sent to the browser. */
export interface PendingLogin {
	/** PKCE: the token request must present what the authorization request's challenge was made from. */
	codeVerifier: string;
	/** Must come back inside the ID token: it was issued for this login, not replayed from another. */
	nonce: string;
}

/** A login not finished in this long is dropped: the person starts again. */
export const PENDING_LOGIN_TTL_MS = 5 * 60_000;

const pendingKey = (state: string) => `oidc-login:${state}`;

/**
 * Logins sent to the provider and not yet back, by their `state`, in the key-value store (Redis in a
 * cluster: the callback may reach another auth node than the one that started the login).
 */
export class OidcPendingLogins {
	constructor(private readonly kv: KvStore) {}

	async put(state: string, login: PendingLogin): Promise<void> {
		await this.kv.set(pendingKey(state), JSON.stringify(login), PENDING_LOGIN_TTL_MS);
	}

	/**
	 * The login of `state`, removed so it is used once: of two callbacks with one state only the one whose
	 * delete removed the key gets it. Undefined for an unknown, expired or already used state.
	 */
	async take(state: string): Promise<PendingLogin | undefined> {
		const stored = await this.kv.get(pendingKey(state));
		if (stored === null || !(await this.kv.delete(pendingKey(state)))) return undefined;
		return JSON.parse(stored) as PendingLogin;
	}
}
