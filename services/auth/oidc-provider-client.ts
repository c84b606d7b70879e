import type { Logger } from "moleculer";
import * as oidc from "openid-client";
import type { OidcConfig } from "../../config";
import { OidcLoginDeniedError, OidcProviderError } from "./auth.errors";
import type { PendingLogin } from "./oidc-pending-logins";

/** Who the provider says logged in. */
export interface ProviderAccount {
	issuer: string;
	/** The provider's stable id of the person (`sub`). */
	subject: string;
	/** Trimmed and lower-cased; undefined when the provider shares none. */
	email: string | undefined;
	emailVerified: boolean;
}

/** The callback's query, as the provider sent it (`code`, `state`, `iss`, or `error`...). */
export type CallbackQuery = Record<string, string>;

/**
 * Our client at the OpenID provider, through openid-client (authorization code flow with PKCE, state
 * and nonce; it checks the ID token's signature, issuer, audience, expiry and nonce). The provider's
 * metadata is discovered on first use and kept; a failed discovery is tried again on the next login.
 * Every failure of the provider is an OidcProviderError (502), its cause logged here.
 */
export class OidcProviderClient {
	private configuration: Promise<oidc.Configuration> | undefined;

	constructor(
		private readonly settings: OidcConfig,
		/** Per request to the provider: below the gateway's timeout, so the client gets our 502, not a 504. */
		private readonly timeoutS: number,
		private readonly logger: Logger,
	) {}

	get providerName(): string {
		return this.settings.providerName;
	}

	/** The provider's authorization URL for a new login, and what its callback must be checked against. */
	async startLogin(): Promise<{ url: string; state: string; pending: PendingLogin }> {
		const configuration = await this.providerFailures("discovery", () => this.discovered());
		const pending = { codeVerifier: oidc.randomPKCECodeVerifier(), nonce: oidc.randomNonce() };
		const state = oidc.randomState();
		const url = oidc.buildAuthorizationUrl(configuration, {
			redirect_uri: this.settings.redirectUrl,
			scope: this.settings.scopes,
			code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
			code_challenge_method: "S256",
			state,
			nonce: pending.nonce,
		});
		return { url: url.href, state, pending };
	}

	/** Exchanges the callback's code (with the PKCE verifier) and reads who logged in. */
	async finishLogin(query: CallbackQuery, state: string, pending: PendingLogin): Promise<ProviderAccount> {
		const configuration = await this.providerFailures("discovery", () => this.discovered());
		// openid-client reads the answer from the URL the provider redirected to: ours, with its query.
		const callbackUrl = new URL(this.settings.redirectUrl);
		for (const [name, value] of Object.entries(query)) callbackUrl.searchParams.set(name, value);
		const tokens = await this.providerFailures("token exchange", () =>
			oidc.authorizationCodeGrant(configuration, callbackUrl, {
				pkceCodeVerifier: pending.codeVerifier,
				expectedState: state,
				expectedNonce: pending.nonce,
				idTokenExpected: true,
			}),
		);
		const claims = tokens.claims();
		if (!claims) throw this.failure("token exchange", new Error("no ID token"));
		let emailClaims: Record<string, unknown> = claims;
		// Many providers put the email in the ID token; others (oidc-provider by default) only in userinfo.
		if (claims.email === undefined) {
			emailClaims = await this.providerFailures("userinfo", () =>
				oidc.fetchUserInfo(configuration, tokens.access_token, claims.sub),
			);
		}
		const email = typeof emailClaims.email === "string" ? emailClaims.email.trim().toLowerCase() : undefined;
		return {
			issuer: claims.iss,
			subject: claims.sub,
			email: email || undefined,
			// A few providers send the boolean as a string.
			emailVerified: emailClaims.email_verified === true || emailClaims.email_verified === "true",
		};
	}

	private discovered(): Promise<oidc.Configuration> {
		this.configuration ??= this.discover().catch((err: unknown) => {
			this.configuration = undefined;
			throw err;
		});
		return this.configuration;
	}

	private discover(): Promise<oidc.Configuration> {
		const { issuerUrl, clientId, clientSecret } = this.settings;
		const plainHttp = new URL(issuerUrl).protocol === "http:";
		return oidc.discovery(
			new URL(issuerUrl),
			clientId,
			clientSecret || undefined,
			// A public client: the PKCE verifier is its only proof, as in a browser app.
			clientSecret ? undefined : oidc.None(),
			{
				timeout: this.timeoutS,
				// Config refuses http:// in production; elsewhere it is a provider on this machine.
				execute: plainHttp ? [oidc.allowInsecureRequests] : [],
			},
		);
	}

	/**
	 * Runs a step against the provider. The person declining at the provider is theirs to retry (401);
	 * anything else there (down, slow, an answer that does not verify) is the provider's (502).
	 */
	private async providerFailures<T>(step: string, run: () => Promise<T>): Promise<T> {
		try {
			return await run();
		} catch (err) {
			if (err instanceof oidc.AuthorizationResponseError) {
				throw new OidcLoginDeniedError(this.settings.providerName, err.error);
			}
			throw this.failure(step, err);
		}
	}

	private failure(step: string, cause: unknown): OidcProviderError {
		// openid-client's errors say "something went wrong" and keep what did in `cause`.
		const reason = (cause as { cause?: unknown } | undefined)?.cause;
		this.logger.warn(`OpenID provider ${this.settings.providerName}: ${step} failed:`, cause, reason ?? "");
		return new OidcProviderError(this.settings.providerName);
	}
}
