import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import type { AppConfig } from "../../config";
import { type Caller, callerOf } from "../../lib/auth/caller";
import { TOKENS_REVOKED_EVENT, type TokensRevoked } from "../../lib/auth/tokens-revoked";
import { defineService, type ServiceThis } from "../../lib/define-schema";
import { ClientError, toErrorBody } from "../../lib/errors";
import { ClusterServices } from "../../lib/health/cluster-services";
import { DependencyProbes } from "../../lib/health/dependency-probes";
import type { KvStore } from "../../lib/kv";
import { clientIpResolver } from "../../lib/net/client-ip";
import { setReplyStatus } from "../../lib/reply-status";
import { KvMixin } from "../../mixins/kv.mixin";
import { ADMIN_ALIASES, ADMIN_ROLE } from "./admin-routes";
import {
	AUTH_ALIASES,
	CART_ALIASES,
	INVENTORY_ALIASES,
	NOTIFICATIONS_ALIASES,
	ORDERS_ALIASES,
	PAYMENTS_ALIASES,
	PAYMENTS_WEBHOOK_ALIASES,
	PRODUCTS_ALIASES,
	REVIEWS_ALIASES,
	roleNeededFor,
	SEARCH_ALIASES,
	USERS_ALIASES,
} from "./api-routes";
import { bearerTokenOf, requireRole } from "./bearer-auth";
import { answerClientErrorsWithJson } from "./client-errors";
import { correlationIdOf } from "./correlation-id";
import { type DownstreamGuards, downstreamCallOptions, downstreamGuardsOf } from "./downstream-guards";
import { edgeHeaders } from "./edge-headers";
import { logServerFailure } from "./failure-log";
import { headerOf } from "./headers";
import { jsonBodyReader, rawBodyReader } from "./json-body";
import { DOCS_PATH, DOCUMENT_PATH, serveDocsAsset, serveDocsPage, serveDocument } from "./openapi/docs-page";
import { type GatewayRoute, gatewayOpenApiJson } from "./openapi/gateway-openapi";
import { kvRateLimitStore } from "./rate-limit-store";
import { retryAfterHeader } from "./retry-after";
import { isReportedFallback } from "./service-fallback";
import { TokenValidator } from "./token-validator";
import { checkApiVersion } from "./version-guard";

type GatewayRequest = IncomingMessage & {
	$ctx?: Context;
	$action?: { name: string };
	correlationId?: string;
	rawBody?: string;
};

/** `/api/orders`: the client's `Idempotency-Key` reaches `orders.create` as `ctx.meta.idempotencyKey`. */
function idempotencyKeyMeta(req: GatewayRequest): Record<string, unknown> {
	return { idempotencyKey: headerOf(req, "idempotency-key") };
}

/** The provider's webhook: the signed bytes and their signature, for `payments.webhook` to check. */
function webhookMeta(req: GatewayRequest): Record<string, unknown> {
	return { rawBody: req.rawBody ?? "", signature: headerOf(req, "x-razorpay-signature") };
}

interface GatewaySettings extends ServiceSettingSchema {
	port: number;
	ip: string;
	[key: string]: unknown;
}

interface GatewayVars {
	kv: KvStore;
	probes: DependencyProbes;
	cluster: ClusterServices;
	stopWatchingCluster: () => void;
	tokens: TokenValidator<Context>;
	downstream: DownstreamGuards;
	/** The OpenAPI document, built once at start from the routes and the actions' params. */
	openApiJson: string;
	server?: import("node:http").Server;
}

/** Ours, and moleculer-web's that we call. */
interface GatewayMethods {
	/** moleculer-web's: answers a failed request through `settings.onError`. */
	sendError(req: GatewayRequest, res: ServerResponse, err: unknown): void;
	errorHandler(req: GatewayRequest, res: ServerResponse, err: unknown): void;
	httpHandler(req: GatewayRequest, res: ServerResponse, next?: unknown): unknown;
	callAction(route: unknown, action: string, req: GatewayRequest, ...more: unknown[]): Promise<unknown>;
	authenticate(ctx: Context, route: unknown, req: GatewayRequest): Promise<Caller | null>;
	requireAdmin(ctx: Context): void;
	requireRoleIfAny(ctx: Context, route: unknown, req: GatewayRequest): void;
	requireCaller(ctx: Context, route: unknown, req: GatewayRequest): void;
}

type GatewayService = ServiceThis<GatewayVars, GatewayMethods, GatewaySettings>;

/** moleculer-web's own methods, for the ones we wrap (httpHandler, callAction). */
const gatewayMethods = (
	ApiGateway as unknown as {
		methods: { httpHandler(...args: unknown[]): unknown; callAction(...args: unknown[]): Promise<unknown> };
	}
).methods;

interface NodeInfo {
	id: string;
	available: boolean;
	local: boolean;
	services: Array<{ name: string }>;
}

function sendError(this: GatewayService, req: GatewayRequest, res: ServerResponse, failure: unknown) {
	const correlationId = req.correlationId ?? req.$ctx?.requestID ?? correlationIdOf(req);
	// A service that could not be reached answers its fallback (downstream-guards.ts), never another's error.
	const err = this.downstream ? this.downstream.answerFor(req, failure) : failure;
	const body = toErrorBody(err, correlationId);
	if (body.error.status >= 500 && !isReportedFallback(err)) logServerFailure(this.logger, req, body.error, failure);
	if (res.headersSent) return res.end();
	res.writeHead(body.error.status, {
		...retryAfterHeader(body.error.status, err, res),
		"Content-Type": "application/json; charset=utf-8",
		"X-Correlation-Id": correlationId,
		// RFC 6750: a 401 names the scheme the client should use.
		...(body.error.status === 401 ? { "WWW-Authenticate": 'Bearer realm="shop"' } : {}),
	});
	res.end(JSON.stringify(body));
}

/**
 * The HTTP edge: moleculer-web on HOST:PORT, routing `/api/**` to the services. A factory, because
 * moleculer-web builds its routes from settings before any of our lifecycle handlers run.
 */
export default function gatewayService(config: AppConfig): ServiceSchema {
	// Our JSON body reader instead of moleculer-web's body-parser (see json-body.ts for why).
	const bodyParsers = false;
	const readJsonBody = jsonBodyReader(config.http.bodyLimitBytes);
	const readRawBody = rawBodyReader(config.http.bodyLimitBytes);
	const writeEdgeHeaders = edgeHeaders(config.cors.origins);
	const versionGuard = (_ctx: Context, _route: unknown, req: GatewayRequest) => checkApiVersion(req);
	const limits = config.http.rateLimit;
	// The rate limits' and auth's brute-force limit's client: X-Forwarded-For only from TRUSTED_PROXIES.
	const clientIp = clientIpResolver(config.trustedProxies);
	/**
	 * A route as all of ours are: the listed aliases only, our JSON body reader and error shape, the
	 * version guard (unless `versioned: false`), the caller's token read when one is sent (unless
	 * `authenticated: false`), then the `authorization` hook named, and the rate limit `[name, limit]`.
	 * `meta` copies what the actions need of the request (a header) into `ctx.meta`; `rawBody` keeps
	 * the body's bytes unparsed instead of reading JSON.
	 */
	const route = (
		path: string,
		aliases: Record<string, string>,
		options: {
			authorization?: string;
			limit?: [string, number];
			versioned?: boolean;
			authenticated?: boolean;
			meta?: (req: GatewayRequest) => Record<string, unknown>;
			rawBody?: boolean;
		} = {},
	) => ({
		path,
		mappingPolicy: "restrict",
		aliases,
		// The timeout of the service the aliases call (GATEWAY_DOWNSTREAM, else REQUEST_TIMEOUT_MS).
		callOptions: downstreamCallOptions(config, aliases),
		...(options.limit ? rateLimit(...options.limit) : {}),
		...(options.authenticated === false ? {} : { authentication: true }),
		...(options.authorization ? { authorization: options.authorization } : {}),
		logging,
		onBeforeCall(ctx: Context, route: unknown, req: GatewayRequest) {
			if (options.versioned !== false) versionGuard(ctx, route, req);
			if (options.meta) Object.assign(ctx.meta as object, options.meta(req));
		},
		bodyParsers,
		use: [options.rawBody ? readRawBody : readJsonBody],
		onError: sendError,
		// For the OpenAPI document (services/gateway/openapi/): what a request needs beyond the actions' params.
		describe: { versioned: options.versioned !== false, rawBody: options.rawBody === true },
	});
	// Counted in the gateways' shared key-value store; `service` is bound once the service exists.
	let service: GatewayService | undefined;
	const rateLimit = (name: string, limit: number) =>
		limit > 0
			? {
					rateLimit: {
						window: config.http.rateLimit.windowMs,
						limit,
						headers: true,
						key: clientIp,
						StoreFactory: kvRateLimitStore(
							() => (service as GatewayService).kv,
							name,
							(err) => service?.logger.warn(`Rate limit store did not answer; ${name} request let through:`, err),
						),
					},
				}
			: {};
	// Per-request lines ("=> POST ...", "<= 200 ...") at debug only: at info they would be three lines per
	// request, and moleculer-web builds them (colours, timings) even when the level drops them.
	const logging = config.logging.level === "debug" || config.logging.level === "trace";
	return defineService<GatewayVars, GatewayMethods, GatewaySettings>({
		name: "api",
		// The rate-limit counters, shared by the gateways (the service name is the same on every node). The
		// edge starts even when Redis does not answer: rate limits let requests through until it does.
		mixins: [ApiGateway as unknown as Partial<ServiceSchema>, KvMixin({ optionalAtStart: true })],

		settings: {
			port: config.http.port,
			ip: config.http.host,
			rootCallOptions(
				this: GatewayService,
				options: Record<string, unknown>,
				req: GatewayRequest,
				res: ServerResponse,
			) {
				const correlationId = correlationIdOf(req);
				req.correlationId = correlationId;
				options.requestID = correlationId;
				res.setHeader("X-Correlation-Id", correlationId);
			},
			routes: [
				// Operators only. The token secret stays in this closure: settings are broadcast to peers.
				route("/api/admin", ADMIN_ALIASES, { authorization: "requireAdmin", limit: ["admin", limits.api] }),
				// Public, and without the version guard (as the reference's auth routes); logout and validate
				// read the caller from the token. Limited per client address: slows password guessing and signup floods.
				route("/api/auth", AUTH_ALIASES, {
					versioned: false,
					limit: ["auth", limits.auth],
					// Failed logins are limited per client address too (auth's LoginThrottle).
					meta: (req) => ({ clientIp: clientIp(req) }),
				}),
				// Reads are public (the reference's route policy); writes need the admin role.
				route("/api/products", PRODUCTS_ALIASES, {
					authorization: "requireRoleIfAny",
					limit: ["products", limits.api],
				}),
				route("/api/search", SEARCH_ALIASES, {
					authorization: "requireRoleIfAny",
					limit: ["search", limits.api],
				}),
				// Guests and shoppers alike: the token, when sent, picks the shopper's own cart.
				route("/api/cart", CART_ALIASES, { limit: ["cart", limits.api] }),
				route("/api/users", USERS_ALIASES, { authorization: "requireCaller", limit: ["users", limits.api] }),
				// Every call needs a token; some need a role (roleNeededFor).
				route("/api/inventory", INVENTORY_ALIASES, {
					authorization: "requireCaller",
					limit: ["inventory", limits.api],
				}),
				route("/api/orders", ORDERS_ALIASES, {
					authorization: "requireCaller",
					limit: ["orders", limits.api],
					meta: idempotencyKeyMeta,
				}),
				// Before `/api/payments`: the provider signs its calls instead of sending a token or a version.
				route("/api/payments/webhook", PAYMENTS_WEBHOOK_ALIASES, {
					versioned: false,
					authenticated: false,
					rawBody: true,
					meta: webhookMeta,
				}),
				route("/api/payments", PAYMENTS_ALIASES, {
					authorization: "requireCaller",
					limit: ["payments", limits.api],
				}),
				// Reads public, writes with the caller's token (the actions require it), moderation an operator's.
				route("/api/reviews", REVIEWS_ALIASES, {
					authorization: "requireRoleIfAny",
					limit: ["reviews", limits.api],
				}),
				route("/api/notifications", NOTIFICATIONS_ALIASES, {
					authorization: "requireCaller",
					limit: ["notifications", limits.api],
				}),
				route("/api", { "GET /health": "api.health" }, { authenticated: false }),
				// The API describes itself (services/gateway/openapi/): no token, no version header. Paths of their own: a
				// second "/api" route would replace the one above.
				{
					path: DOCUMENT_PATH,
					mappingPolicy: "restrict",
					aliases: {
						"GET /"(this: GatewayService, _req: GatewayRequest, res: ServerResponse) {
							serveDocument(res, this.openApiJson);
						},
					},
					bodyParsers,
					onError: sendError,
				},
				{
					path: DOCS_PATH,
					mappingPolicy: "restrict",
					aliases: {
						"GET /"(_req: GatewayRequest, res: ServerResponse) {
							serveDocsPage(res);
						},
						"GET /:asset"(req: GatewayRequest, res: ServerResponse, next: (err?: unknown) => void) {
							if (!serveDocsAsset(req, res)) next(new ClientError("No such file", 404, "NOT_FOUND"));
						},
					},
					bodyParsers,
					onError: sendError,
				},
			],
			logRequest: "debug",
			logResponse: "debug",
			onError: sendError,
			log4XXResponses: false,
		},

		actions: {
			/**
			 * Node, cluster and dependency health. 200 when this node's services have all started and every
			 * configured dependency answers, else 503: `STARTING` while the gateway already listens but other
			 * services of the node are still starting (migrations, seeding), `DOWN` when a dependency is.
			 * `cluster` reports the services seen since start that no available node offers now; it does not
			 * change the status (this node's readiness).
			 */
			health: {
				async handler(this: GatewayService, ctx: Context) {
					const dependencies = await this.probes.checkAll();
					const down = Object.values(dependencies).some((d) => d.status === "DOWN");
					const starting = !this.broker.started;
					const nodes = this.broker.registry.getNodeList({
						onlyAvailable: false,
						withServices: true,
					}) as unknown as NodeInfo[];
					if (down || starting) setReplyStatus(ctx, 503);
					return {
						status: down ? "DOWN" : starting ? "STARTING" : "UP",
						node: this.broker.nodeID,
						services: serviceNames(nodes.find((n) => n.local)),
						nodes: nodes.map((n) => ({ id: n.id, available: n.available, services: serviceNames(n) })),
						dependencies,
						cluster: this.cluster.report(),
						timestamp: new Date().toISOString(),
					};
				},
			},
		},

		methods: {
			/**
			 * moleculer-web's handler of a failed request: it logs every non-4xx with its stack before handing
			 * it to `onError`, where sendError logs it once, with the correlation id. Here it only hands it on.
			 */
			errorHandler(this: GatewayService, req: GatewayRequest, res: ServerResponse, err: unknown) {
				this.sendError(req, res, err);
			},
			/** Security and CORS headers on every answer, before routing; a CORS preflight is answered there. */
			httpHandler(this: GatewayService, req: GatewayRequest, res: ServerResponse, next?: unknown) {
				if (writeEdgeHeaders(req, res)) return;
				return gatewayMethods.httpHandler.call(this, req, res, next);
			},
			/** Each routed call inside its service's bulkhead and circuit breaker (downstream-guards.ts). */
			callAction(this: GatewayService, route: unknown, action: string, req: GatewayRequest, ...more: unknown[]) {
				return this.downstream.call(req, action, () =>
					gatewayMethods.callAction.call(this, route, action, req, ...more),
				);
			},
			/** moleculer-web's `authentication` hook: the token's caller becomes `ctx.meta.user`. */
			authenticate(this: GatewayService, ctx: Context, _route: unknown, req: GatewayRequest): Promise<Caller | null> {
				const token = bearerTokenOf(req);
				return token === undefined ? Promise.resolve(null) : this.tokens.validate(token, ctx);
			},
			/** The admin route's `authorization` hook. */
			requireAdmin(ctx: Context) {
				requireRole(callerOf(ctx), ADMIN_ROLE);
			},
			/** Anyone, unless the action needs a role: then a caller with it. */
			requireRoleIfAny(ctx: Context, _route: unknown, req: GatewayRequest) {
				const role = roleNeededFor(req.$action?.name);
				if (role !== undefined) requireRole(callerOf(ctx), role);
			},
			/** Any caller with a valid token, and the role the action needs if it needs one. */
			requireCaller(ctx: Context, _route: unknown, req: GatewayRequest) {
				requireRole(callerOf(ctx), roleNeededFor(req.$action?.name));
			},
		},

		events: {
			/** Logout, password change, a refresh token used twice: no cached "valid" may outlive it. */
			[TOKENS_REVOKED_EVENT](this: GatewayService, ctx: Context<TokensRevoked>) {
				this.tokens.forget(ctx.params);
			},
			/** After a reconnect, revocations broadcast while this node was away were missed. */
			"$transporter.connected"(this: GatewayService, ctx: Context<{ wasReconnect: boolean }>) {
				if (ctx.params.wasReconnect) this.tokens.forgetAll();
			},
		},

		created(this: GatewayService) {
			service = this;
			this.probes = new DependencyProbes(config, () => Boolean(this.broker.transit?.connected));
			this.cluster = new ClusterServices(
				() => this.broker.registry.getNodeList({ onlyAvailable: false, withServices: true }) as unknown as NodeInfo[],
			);
			this.stopWatchingCluster = this.cluster.watch(this.broker.localBus);
			this.tokens = new TokenValidator(config.auth.validateCacheMs, askAuthService);
			this.downstream = downstreamGuardsOf(config, this.broker.nodeID, this.logger);
			if (this.server) answerClientErrorsWithJson(this.server);
			this.openApiJson = gatewayOpenApiJson(config, {
				name: this.name,
				routes: this.settings.routes as GatewayRoute[],
				actions: this.schema.actions ?? {},
			});
		},

		async stopped(this: GatewayService) {
			this.stopWatchingCluster();
			await this.probes.close();
		},
	});
}

/** `auth.validate` as a child of the request's context. */
function askAuthService(token: string, ctx: Context): Promise<Caller> {
	return ctx.call<Caller, { token: string }>("auth.validate", { token });
}

function serviceNames(node?: { services: Array<{ name: string }> }): string[] {
	return (node?.services ?? [])
		.map((s) => s.name)
		.filter((name) => !name.startsWith("$"))
		.sort();
}
