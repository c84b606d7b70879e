import type { Context, Service, ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { type AccessTokenClaims, issuedAtOf, signAccessToken, verifyAccessToken } from "../../lib/auth/access-token";
import { UnauthorizedError } from "../../lib/auth/auth.errors";
import { requireCallerOf } from "../../lib/auth/caller";
import { TOKENS_REVOKED_EVENT, type TokensRevoked } from "../../lib/auth/tokens-revoked";
import { defineService } from "../../lib/define-schema";
import type { KvStore } from "../../lib/kv";
import { replyCreated, setReplyStatus } from "../../lib/reply-status";
import { DbMixin } from "../../mixins/db.mixin";
import { KvMixin } from "../../mixins/kv.mixin";
import { type MetricsMethods, MetricsMixin } from "../../mixins/metrics.mixin";
import { AccessRevocations } from "./access-revocations";
import { type Account, AccountsRepository } from "./accounts.repository";
import { ensureAdminAccount } from "./admin-account";
import {
	InvalidCredentialsError,
	OidcEmailNotVerifiedError,
	OidcNotConfiguredError,
	OidcStateInvalidError,
	TooManyFailedLoginsError,
} from "./auth.errors";
import {
	changePasswordParams,
	credentialsParams,
	logoutParams,
	oidcCallbackParams,
	refreshParams,
	validateParams,
} from "./auth.params";
import { LoginThrottle } from "./login-throttle";
import { authMigrations } from "./migrations";
import { accountForProviderLogin } from "./oidc-accounts";
import { OidcIdentitiesRepository } from "./oidc-identities.repository";
import { OidcPendingLogins } from "./oidc-pending-logins";
import { type CallbackQuery, OidcProviderClient } from "./oidc-provider-client";
import { hashOfNoAccount, hashPassword, verifyPassword } from "./password-hash";
import { RefreshTokensRepository } from "./refresh-tokens.repository";

/** The role every account signs up with. Operators log in as ADMIN_EMAIL, or use `npm run token`. */
export const CUSTOMER_ROLE = "customer";

/** Logins and signups by outcome (`shop_auth_logins_total{result}`). */
const LOGINS_METRIC = "shop_auth_logins_total";

interface AuthVars {
	sweepTimer?: NodeJS.Timeout;
	sequelize: Sequelize;
	kv: KvStore;
	accounts: AccountsRepository;
	refreshTokens: RefreshTokensRepository;
	revocations: AccessRevocations;
	loginThrottle: LoginThrottle;
	/** Login through the OpenID provider of OIDC_*; undefined when it is not configured. */
	oidc?: OidcProviderClient;
	oidcPendingLogins: OidcPendingLogins;
	oidcIdentities: OidcIdentitiesRepository;
}

interface AuthMethods extends MetricsMethods {
	tokensFor(account: Pick<Account, "id" | "email" | "roles">, refreshToken: string): Promise<TokenPair>;
	revokeAllAccessOf(userId: string): Promise<void>;
	announceRevocation(revoked: TokensRevoked): Promise<void>;
	requireOidc(): OidcProviderClient;
}

/** What signup, login and refresh answer. */
export interface TokenPair {
	accessToken: string;
	tokenType: "Bearer";
	/** Seconds the access token is valid for. */
	expiresIn: number;
	refreshToken: string;
	user: { id: string; email: string; roles: string[] };
}

/** How often expired refresh tokens are deleted, and how many per statement. */
const SWEEP_INTERVAL_MS = 10 * 60_000;
const SWEEP_BATCH = 1000;

/**
 * Accounts and tokens: signup and login issue a short-lived access token (JWT) and a refresh token;
 * refresh rotates the refresh token; logout revokes both; validate is what the gateway asks about
 * every bearer token, so a logged-out token stops working before it expires. Every revocation is also
 * broadcast (`auth.tokensRevoked`), so no gateway goes on reusing a cached "valid" for it.
 */
export default function authService(config: AppConfig): ServiceSchema {
	const settings = config.auth;
	return defineService<AuthVars, AuthMethods>({
		name: "auth",
		mixins: [
			DbMixin({ database: "auth", migrations: authMigrations }),
			KvMixin(),
			MetricsMixin([
				{ type: "counter", name: LOGINS_METRIC, description: "Signups and logins by result", labelNames: ["result"] },
			]),
		],

		actions: {
			signup: {
				params: credentialsParams,
				async handler(this: AuthThis, ctx: Context<{ email: string; password: string }>) {
					const account = await this.accounts.create(ctx.params.email, await hashPassword(ctx.params.password), [
						CUSTOMER_ROLE,
					]);
					this.countMetric(LOGINS_METRIC, { result: "signup" });
					// The account made: the caller's own profile.
					replyCreated(ctx, "/api/users/me");
					return this.tokensFor(account, await this.refreshTokens.issue(account.id));
				},
			},

			login: {
				params: credentialsParams,
				async handler(this: AuthThis, ctx: Context<{ email: string; password: string }>) {
					// The gateway's view of the client's address (TRUSTED_PROXIES); none when called inside the cluster.
					const clientIp = (ctx.meta as { clientIp?: string }).clientIp;
					try {
						await this.loginThrottle.admit(ctx.params.email, clientIp);
					} catch (err) {
						if (err instanceof TooManyFailedLoginsError) this.countMetric(LOGINS_METRIC, { result: "throttled" });
						throw err;
					}
					const account = await this.accounts.findByEmail(ctx.params.email);
					// An unknown email costs one hash too, so timing does not tell which accounts exist.
					const matches = await verifyPassword(ctx.params.password, account?.passwordHash ?? (await hashOfNoAccount()));
					if (!account || !matches) {
						await this.loginThrottle.failed(clientIp);
						this.countMetric(LOGINS_METRIC, { result: "refused" });
						throw new InvalidCredentialsError();
					}
					await this.loginThrottle.succeeded(ctx.params.email);
					this.countMetric(LOGINS_METRIC, { result: "login" });
					return this.tokensFor(account, await this.refreshTokens.issue(account.id));
				},
			},

			refresh: {
				params: refreshParams,
				async handler(this: AuthThis, ctx: Context<{ refreshToken: string }>) {
					// A token used twice: whoever holds the family's access tokens may be the thief.
					const rotated = await this.refreshTokens.rotate(ctx.params.refreshToken, (userId) =>
						this.revokeAllAccessOf(userId),
					);
					const account = await this.accounts.findById(rotated.userId);
					if (!account) throw new InvalidCredentialsError();
					return this.tokensFor(account, rotated.token);
				},
			},

			/** Needs the access token (the gateway puts its claims in meta.user); the refresh token is optional. */
			logout: {
				params: logoutParams,
				async handler(this: AuthThis, ctx: Context<{ refreshToken?: string }>) {
					const user = requireCallerOf(ctx);
					await this.revocations.revokeToken(user);
					if (ctx.params.refreshToken) await this.refreshTokens.revokeFamilyOf(ctx.params.refreshToken, user.sub);
					// Before the 204: the client's next request, through any gateway, finds no cached "valid".
					if (user.jti) await this.announceRevocation({ jtis: [user.jti] });
					setReplyStatus(ctx, 204);
					return null;
				},
			},

			/**
			 * Needs the access token and the current password. Every refresh token and every access token
			 * of the account is revoked (all its sessions end at once) and a new pair returned.
			 */
			changePassword: {
				params: changePasswordParams,
				async handler(this: AuthThis, ctx: Context<{ currentPassword: string; newPassword: string }>) {
					const user = requireCallerOf(ctx);
					const account = await this.accounts.findById(user.sub);
					if (!account || !(await verifyPassword(ctx.params.currentPassword, account.passwordHash))) {
						throw new InvalidCredentialsError();
					}
					await this.accounts.setPasswordHash(account.id, await hashPassword(ctx.params.newPassword));
					await this.refreshTokens.revokeAllOf(account.id);
					await this.revokeAllAccessOf(account.id);
					return this.tokensFor(account, await this.refreshTokens.issue(account.id));
				},
			},

			/**
			 * `GET /api/auth/oidc/login`: a 302 to the provider's login page (authorization code with PKCE). The
			 * verifier and nonce stay here, under the `state` the provider hands back to the callback.
			 */
			oidcLogin: {
				async handler(this: AuthThis, ctx: Context) {
					const login = await this.requireOidc().startLogin();
					await this.oidcPendingLogins.put(login.state, login.pending);
					setReplyStatus(ctx, 302);
					Object.assign(ctx.meta as object, {
						$location: login.url,
						$responseHeaders: { "Cache-Control": "no-store" },
					});
					return null;
				},
			},

			/**
			 * `GET /api/auth/oidc/callback`: where the provider sends the browser back. Exchanges the code, then
			 * logs into the account linked to that provider account, else to the one of its verified email
			 * (made when there is none), and answers our token pair, as login does.
			 */
			oidcCallback: {
				params: oidcCallbackParams,
				async handler(this: AuthThis, ctx: Context<CallbackQuery>) {
					const oidc = this.requireOidc();
					const state = ctx.params.state;
					const pending = state ? await this.oidcPendingLogins.take(state) : undefined;
					if (!state || !pending) throw new OidcStateInvalidError();
					const providerAccount = await oidc.finishLogin(ctx.params, state, pending);
					try {
						const { account, outcome } = await accountForProviderLogin(
							this.accounts,
							this.oidcIdentities,
							providerAccount,
							{ providerName: oidc.providerName, newAccountRoles: [CUSTOMER_ROLE] },
						);
						this.logger.info(`OpenID login of ${providerAccount.subject} at ${providerAccount.issuer}: ${outcome}`);
						this.countMetric(LOGINS_METRIC, { result: "oidc" });
						return this.tokensFor(account, await this.refreshTokens.issue(account.id));
					} catch (err) {
						if (err instanceof OidcEmailNotVerifiedError) this.countMetric(LOGINS_METRIC, { result: "oidc-refused" });
						throw err;
					}
				},
			},

			/** `GET /api/auth/validate`: who the request's token names (the gateway has checked it). */
			whoami: {
				handler(ctx: Context) {
					const user = requireCallerOf(ctx);
					return { sub: user.sub, roles: user.roles, exp: user.exp };
				},
			},

			/**
			 * Deletes refresh tokens past their expiry (every SWEEP_INTERVAL_MS on each node; operators may
			 * call it). An expired token is refused whether or not its row exists: only the reason changes.
			 */
			sweepRefreshTokens: {
				visibility: "public",
				async handler(this: AuthThis): Promise<{ deleted: number }> {
					let deleted = 0;
					for (;;) {
						const batch = await this.refreshTokens.deleteExpired(Date.now(), SWEEP_BATCH);
						deleted += batch;
						if (batch < SWEEP_BATCH) return { deleted };
					}
				},
			},

			/** Internal (notifications): where to write to a user, or null for an unknown user. */
			contactOf: {
				visibility: "public",
				params: { userId: { type: "string", min: 1, max: 64 } },
				async handler(this: AuthThis, ctx: Context<{ userId: string }>): Promise<{ email: string } | null> {
					const account = await this.accounts.findById(ctx.params.userId);
					return account ? { email: account.email } : null;
				},
			},

			/** For the gateway: the claims of a token that is well signed, unexpired and not revoked. */
			validate: {
				visibility: "public",
				params: validateParams,
				async handler(this: AuthThis, ctx: Context<{ token: string }>): Promise<AccessTokenClaims> {
					const claims = await verifyAccessToken(ctx.params.token, settings);
					if (await this.revocations.isRevoked(claims, issuedAtOf(ctx.params.token))) {
						throw new UnauthorizedError("TOKEN_REVOKED");
					}
					return claims;
				},
			},
		},

		methods: {
			requireOidc(this: AuthThis): OidcProviderClient {
				if (!this.oidc) throw new OidcNotConfiguredError();
				return this.oidc;
			},

			async tokensFor(this: AuthThis, account: Account, refreshToken: string): Promise<TokenPair> {
				const issuedAt = await this.revocations.signingTimeFor(account.id);
				return {
					accessToken: await signAccessToken({ sub: account.id, roles: account.roles }, settings, issuedAt),
					tokenType: "Bearer",
					expiresIn: settings.accessTokenTtlS,
					refreshToken,
					user: { id: account.id, email: account.email, roles: account.roles },
				};
			},

			/** Every access token of the account issued until now stops working, on every gateway at once. */
			async revokeAllAccessOf(this: AuthThis, userId: string): Promise<void> {
				const issuedBeforeS = await this.revocations.revokeAllOf(userId);
				await this.announceRevocation({ userId, issuedBeforeS });
			},

			/**
			 * Tells every gateway to forget the tokens. The revocation is already stored (validate refuses them);
			 * when the broadcast fails, a gateway's cached "valid" lasts at most AUTH_VALIDATE_CACHE_MS more.
			 */
			async announceRevocation(this: AuthThis, revoked: TokensRevoked): Promise<void> {
				try {
					await this.broker.broadcast(TOKENS_REVOKED_EVENT, revoked);
				} catch (err) {
					this.logger.warn("Token revocation stored but not broadcast to the gateways:", err);
				}
			},
		},

		async started(this: AuthThis) {
			this.accounts = new AccountsRepository(this.sequelize);
			this.refreshTokens = new RefreshTokensRepository(this.sequelize, settings.refreshTokenTtlS * 1000);
			this.revocations = new AccessRevocations(this.kv, settings.accessTokenTtlS);
			this.loginThrottle = new LoginThrottle(this.kv, config.loginLimits);
			this.oidcPendingLogins = new OidcPendingLogins(this.kv);
			this.oidcIdentities = new OidcIdentitiesRepository(this.sequelize);
			if (config.oidc) {
				// Half the broker's request timeout per provider request: the gateway answers our 502, not its 504.
				const timeoutS = Math.max(1, Math.floor(config.broker.requestTimeoutMs / 2000));
				this.oidc = new OidcProviderClient(config.oidc, timeoutS, this.logger);
			}
			// Made now, not on the first unknown email: that login would take two hashes' time, not one.
			await hashOfNoAccount();
			if (config.adminAccount) {
				const admin = await ensureAdminAccount(this.accounts, config.adminAccount, async (userId) => {
					await this.refreshTokens.revokeAllOf(userId);
					await this.revokeAllAccessOf(userId);
				});
				this.logger.info(`Admin account ${config.adminAccount.email}: ${admin.outcome}`);
			}
			this.sweepTimer = setInterval(() => {
				this.broker
					.call("auth.sweepRefreshTokens", {}, { nodeID: this.broker.nodeID })
					.catch((err: unknown) => this.logger.warn("Refresh-token sweep failed:", err));
			}, SWEEP_INTERVAL_MS);
			this.sweepTimer.unref();
		},

		stopped(this: AuthThis) {
			clearInterval(this.sweepTimer);
		},
	});
}

type AuthThis = Service & AuthVars & AuthMethods;
