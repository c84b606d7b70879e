import type { Context, Service, ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { type AccessTokenClaims, signAccessToken, verifyAccessToken } from "../../lib/auth/access-token";
import { UnauthorizedError } from "../../lib/auth/auth.errors";
import { requireCallerOf } from "../../lib/auth/caller";
import { defineService } from "../../lib/define-schema";
import type { KvStore } from "../../lib/kv";
import { replyCreated, setReplyStatus } from "../../lib/reply-status";
import { DbMixin } from "../../mixins/db.mixin";
import { KvMixin } from "../../mixins/kv.mixin";
import { type MetricsMethods, MetricsMixin } from "../../mixins/metrics.mixin";
import { type Account, AccountsRepository } from "./accounts.repository";
import { InvalidCredentialsError } from "./auth.errors";
import { changePasswordParams, credentialsParams, logoutParams, refreshParams, validateParams } from "./auth.params";
import { authMigrations } from "./migrations";
import { hashOfNoAccount, hashPassword, verifyPassword } from "./password-hash";
import { RefreshTokensRepository } from "./refresh-tokens.repository";

/** The role every account signs up with. Operators' tokens come from `npm run token`. */
export const CUSTOMER_ROLE = "customer";

/** Logins and signups by outcome (`shop_auth_logins_total{result}`). */
const LOGINS_METRIC = "shop_auth_logins_total";

interface AuthVars {
	sweepTimer?: NodeJS.Timeout;
	sequelize: Sequelize;
	kv: KvStore;
	accounts: AccountsRepository;
	refreshTokens: RefreshTokensRepository;
}

interface AuthMethods extends MetricsMethods {
	tokensFor(account: Pick<Account, "id" | "email" | "roles">, refreshToken: string): Promise<TokenPair>;
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

/** A revoked access token's id is kept until the token would have expired anyway. */
const revokedKey = (jti: string) => `revoked:${jti}`;

/**
 * Accounts and tokens: signup and login issue a short-lived access token (JWT) and a refresh token;
 * refresh rotates the refresh token; logout revokes both; validate is what the gateway asks about
 * every bearer token, so a logged-out token stops working before it expires.
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
				rest: "POST /signup",
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
				rest: "POST /login",
				params: credentialsParams,
				async handler(this: AuthThis, ctx: Context<{ email: string; password: string }>) {
					const account = await this.accounts.findByEmail(ctx.params.email);
					// An unknown email costs one hash too, so timing does not tell which accounts exist.
					const matches = await verifyPassword(ctx.params.password, account?.passwordHash ?? (await hashOfNoAccount()));
					if (!account || !matches) {
						this.countMetric(LOGINS_METRIC, { result: "refused" });
						throw new InvalidCredentialsError();
					}
					this.countMetric(LOGINS_METRIC, { result: "login" });
					return this.tokensFor(account, await this.refreshTokens.issue(account.id));
				},
			},

			refresh: {
				rest: "POST /refresh",
				params: refreshParams,
				async handler(this: AuthThis, ctx: Context<{ refreshToken: string }>) {
					const rotated = await this.refreshTokens.rotate(ctx.params.refreshToken);
					const account = await this.accounts.findById(rotated.userId);
					if (!account) throw new InvalidCredentialsError();
					return this.tokensFor(account, rotated.token);
				},
			},

			/** Needs the access token (the gateway puts its claims in meta.user); the refresh token is optional. */
			logout: {
				rest: "POST /logout",
				params: logoutParams,
				async handler(this: AuthThis, ctx: Context<{ refreshToken?: string }>) {
					const user = requireCallerOf(ctx);
					const ttlMs = user.exp * 1000 - Date.now();
					if (user.jti && ttlMs > 0) await this.kv.set(revokedKey(user.jti), user.sub, ttlMs + 5_000);
					if (ctx.params.refreshToken) await this.refreshTokens.revokeFamilyOf(ctx.params.refreshToken, user.sub);
					setReplyStatus(ctx, 204);
					return null;
				},
			},

			/**
			 * Needs the access token and the current password. Every refresh token of the account is revoked
			 * and a new pair returned: other sessions end when their access tokens expire (JWT_TTL_S).
			 */
			changePassword: {
				rest: "POST /password",
				params: changePasswordParams,
				async handler(this: AuthThis, ctx: Context<{ currentPassword: string; newPassword: string }>) {
					const user = requireCallerOf(ctx);
					const account = await this.accounts.findById(user.sub);
					if (!account || !(await verifyPassword(ctx.params.currentPassword, account.passwordHash))) {
						throw new InvalidCredentialsError();
					}
					await this.accounts.setPasswordHash(account.id, await hashPassword(ctx.params.newPassword));
					await this.refreshTokens.revokeAllOf(account.id);
					return this.tokensFor(account, await this.refreshTokens.issue(account.id));
				},
			},

			/** `GET /api/auth/validate`: who the request's token names (the gateway has checked it). */
			whoami: {
				rest: "GET /validate",
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

			/** For the gateway: the claims of a token that is well signed, unexpired and not revoked. */
			validate: {
				visibility: "public",
				params: validateParams,
				async handler(this: AuthThis, ctx: Context<{ token: string }>): Promise<AccessTokenClaims> {
					const claims = await verifyAccessToken(ctx.params.token, settings);
					if (claims.jti && (await this.kv.get(revokedKey(claims.jti))) !== null) {
						throw new UnauthorizedError("TOKEN_REVOKED");
					}
					return claims;
				},
			},
		},

		methods: {
			async tokensFor(this: AuthThis, account: Account, refreshToken: string): Promise<TokenPair> {
				return {
					accessToken: await signAccessToken({ sub: account.id, roles: account.roles }, settings),
					tokenType: "Bearer",
					expiresIn: settings.accessTokenTtlS,
					refreshToken,
					user: { id: account.id, email: account.email, roles: account.roles },
				};
			},
		},

		async started(this: AuthThis) {
			this.accounts = new AccountsRepository(this.sequelize);
			this.refreshTokens = new RefreshTokensRepository(this.sequelize, settings.refreshTokenTtlS * 1000);
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
