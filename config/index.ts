/**
 * The one place that reads the environment. Every setting has a default that runs the embedded,
 * single-process shop; cluster mode is switched on by setting URLs. The README's config table
 * lists the same variables: keep the two in step.
 */
import os from "node:os";
import path from "node:path";
import { bool, cleanEnv, host, str } from "envalid";
import { trustedProxyMatcher } from "../lib/net/client-ip";
import { ConfigError } from "./config-error";
import {
	byteSize,
	nameList,
	nonNegativeInt,
	nonNegativeNumber,
	optionalUrl,
	positiveInt,
	positiveSeconds,
	tcpPort,
} from "./env-validators";
import { type DownstreamLimits, type DownstreamOverride, downstreamOverrides, originList } from "./gateway-validators";
import { withSecretFiles } from "./secret-files";

export { ConfigError };

function readEnv(env: NodeJS.ProcessEnv) {
	return cleanEnv(
		env,
		{
			NODE_ENV: str({ default: "development", choices: ["development", "production", "test"] }),
			NAMESPACE: str({ default: "shop", desc: "Moleculer namespace: nodes only see peers with the same one" }),
			NODE_ID: str({ default: "" }),
			SERVICES: nameList({ default: [] }),
			HOST: host({ default: "127.0.0.1" }),
			PORT: tcpPort({ default: 3000 }),
			HTTP_BODY_LIMIT: byteSize({ default: 64 * 1024 }),
			JWT_SECRET: str({ default: "" }),
			JWT_ISSUER: str({ default: "shop" }),
			JWT_TTL_S: positiveInt(86_400)({ default: 900 }),
			REFRESH_TOKEN_TTL_S: positiveInt(365 * 86_400)({ default: 30 * 86_400 }),
			AUTH_VALIDATE_CACHE_MS: nonNegativeNumber({ default: 1000 }),
			AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT: nonNegativeNumber({ default: 10 }),
			AUTH_LOGIN_MAX_FAILURES_PER_IP: nonNegativeNumber({ default: 100 }),
			AUTH_LOGIN_FAILURE_WINDOW_S: positiveInt(86_400)({ default: 900 }),
			ADMIN_EMAIL: str({ default: "" }),
			ADMIN_PASSWORD: str({ default: "" }),
			OIDC_ISSUER_URL: optionalUrl(["https", "http"])({ default: "" }),
			OIDC_CLIENT_ID: str({ default: "" }),
			OIDC_CLIENT_SECRET: str({ default: "" }),
			OIDC_REDIRECT_URL: optionalUrl(["https", "http"])({ default: "" }),
			OIDC_SCOPES: str({ default: "openid email profile" }),
			OIDC_PROVIDER_NAME: str({ default: "" }),
			TRUSTED_PROXIES: str({ default: "" }),
			RATE_LIMIT_WINDOW_S: positiveInt(86_400)({ default: 60 }),
			RATE_LIMIT_AUTH: nonNegativeNumber({ default: 30 }),
			RATE_LIMIT_API: nonNegativeNumber({ default: 0 }),
			CORS_ORIGINS: originList({ default: [] }),
			GATEWAY_DOWNSTREAM: downstreamOverrides({ default: {} }),
			CATALOG_CACHE_TTL_S: nonNegativeNumber({ default: 5 }),
			CATALOG_CACHE_MAX: positiveInt(1_000_000)({ default: 2_000 }),
			DATA_DIR: str({ default: "./data" }),
			TRANSPORTER: optionalUrl(["nats"])({ default: "" }),
			DATABASE_URL: optionalUrl(["mysql", "mariadb"])({ default: "" }),
			DB_NAME_PREFIX: str({ default: "shop_" }),
			DB_POOL_MAX: positiveInt(1000)({ default: 20 }),
			DB_COMPOUND_BEGIN: bool({ default: true }),
			REDIS_URL: optionalUrl(["redis", "rediss"])({ default: "" }),
			EVENTS_URL: optionalUrl(["kafka", "nats", "redis"])({ default: "" }),
			ZIPKIN_URL: optionalUrl(["http", "https"])({ default: "" }),
			METRICS_ENABLED: bool({ default: true }),
			METRICS_HOST: host({ default: "127.0.0.1" }),
			METRICS_PORT: tcpPort({ default: 3030 }),
			LOG_LEVEL: str({ default: "info", choices: ["fatal", "error", "warn", "info", "debug", "trace"] }),
			LOG_FORMAT: str({ default: "auto", choices: ["auto", "json", "text"] }),
			REQUEST_TIMEOUT_MS: positiveInt()({ default: 10_000 }),
			NATS_COALESCE_WRITES: bool({ default: true }),
			HEARTBEAT_INTERVAL_S: positiveSeconds(60)({ default: 0.5 }),
			HEARTBEAT_TIMEOUT_S: positiveSeconds(300)({ default: 2 }),
			RETRY_ATTEMPTS: nonNegativeNumber({ default: 0 }),
			CIRCUIT_BREAKER_THRESHOLD: nonNegativeNumber({ default: 0.5 }),
			CIRCUIT_BREAKER_MIN_REQUESTS: positiveInt()({ default: 20 }),
			CIRCUIT_BREAKER_WINDOW_S: positiveInt()({ default: 60 }),
			CIRCUIT_BREAKER_HALF_OPEN_S: positiveInt()({ default: 10 }),
			BULKHEAD_CONCURRENCY: positiveInt()({ default: 1000 }),
			BULKHEAD_MAX_QUEUE: positiveInt()({ default: 10_000 }),
			HEALTH_CHECK_TIMEOUT_MS: positiveInt()({ default: 2000 }),
			SEED_DEMO_DATA: bool({ default: true }),
			EVENTS_MAX_RETRIES: positiveInt(100)({ default: 3 }),
			EVENTS_DEAD_LETTER_TOPIC: str({ default: "DEAD_LETTER" }),
			EVENTS_MAX_IN_FLIGHT: positiveInt(10_000)({ default: 10 }),
			EVENTS_KAFKA_PARTITIONS: positiveInt(1000)({ default: 6 }),
			EVENTS_KAFKA_COMMIT_INTERVAL_MS: positiveInt(60_000)({ default: 100 }),
			EVENTS_KAFKA_SESSION_TIMEOUT_MS: positiveInt(300_000)({ default: 30_000 }),
			OUTBOX_RELAY_INTERVAL_MS: positiveInt()({ default: 1000 }),
			OUTBOX_CLAIM_BATCH: positiveInt(10_000)({ default: 500 }),
			OUTBOX_LEASE_MS: positiveInt()({ default: 30_000 }),
			OUTBOX_MAX_ATTEMPTS: positiveInt(1000)({ default: 10 }),
			OUTBOX_BACKOFF_BASE_MS: positiveInt()({ default: 500 }),
			OUTBOX_BACKOFF_MAX_MS: positiveInt()({ default: 60_000 }),
			OUTBOX_RETENTION_H: positiveInt()({ default: 72 }),
			DEDUP_RETENTION_H: positiveInt()({ default: 168 }),
			EVENTS_CLEANUP_INTERVAL_S: positiveInt()({ default: 3600 }),
			INVENTORY_RESERVATION_TTL_S: positiveInt()({ default: 900 }),
			INVENTORY_MAX_QUANTITY_PER_ORDER: positiveInt(1_000_000)({ default: 100 }),
			INVENTORY_MAX_BATCH: positiveInt(10_000)({ default: 500 }),
			INVENTORY_MAILBOX_DEPTH: positiveInt()({ default: 10_000 }),
			INVENTORY_ACTOR_IDLE_S: positiveInt()({ default: 60 }),
			INVENTORY_MAX_ACTORS: positiveInt()({ default: 100_000 }),
			INVENTORY_RESERVATION_CACHE: positiveInt()({ default: 50_000 }),
			INVENTORY_MAX_FENCE_RETRIES: positiveInt(100)({ default: 5 }),
			INVENTORY_SWEEP_INTERVAL_S: positiveInt()({ default: 10 }),
			INVENTORY_CALL_BATCHING: bool({ default: true }),
			INVENTORY_COMPOUND_COMMIT: bool({ default: true }),
			INVENTORY_CALL_BATCH_MAX: positiveInt(10_000)({ default: 500 }),
			INVENTORY_SWEEP_BATCH: positiveInt(100_000)({ default: 1000 }),
			ORDER_PAYMENT_TIMEOUT_MS: positiveInt()({ default: 15 * 60_000 }),
			ORDER_TIMEOUT_SWEEP_MS: positiveInt()({ default: 10_000 }),
			ORDER_ADMISSION_MAX_LAG_MS: positiveInt()({ default: 10_000 }),
			ORDER_ADMISSION_MAX_LAGGING: nonNegativeInt()({ default: 50 }),
			ORDER_ADMISSION_STALL_MS: positiveInt()({ default: 10_000 }),
			ORDER_ADMISSION_CHECK_MS: positiveInt(60_000)({ default: 250 }),
			PAYMENTS_WEBHOOK_URL: optionalUrl(["http", "https"])({ default: "" }),
			PAYMENTS_WEBHOOK_SECRET: str({ default: "" }),
			PAYMENT_PROVIDER_MAX_ATTEMPTS: positiveInt(100)({ default: 4 }),
			PAYMENT_PROVIDER_BACKOFF_MS: positiveInt(60_000)({ default: 200 }),
			PAYMENT_SANDBOX_LATENCY_MS: nonNegativeNumber({ default: 5 }),
			PAYMENT_SANDBOX_WEBHOOK_DELAY_MS: nonNegativeNumber({ default: 50 }),
			PAYMENT_SANDBOX_DUPLICATE_RATE: nonNegativeNumber({ default: 0 }),
			PAYMENT_SANDBOX_REORDER_RATE: nonNegativeNumber({ default: 0 }),
			NOTIFY_PROVIDER: str({ default: "log", choices: ["log", "smtp"] }),
			SMTP_URL: optionalUrl(["smtp", "smtps"])({ default: "" }),
			NOTIFY_FROM: str({ default: "Moleculer Shop <shop@localhost>" }),
			NOTIFY_MAX_ATTEMPTS: positiveInt(100)({ default: 5 }),
			NOTIFY_RETRY_BACKOFF_MS: positiveInt(3_600_000)({ default: 30_000 }),
			NOTIFY_RETRY_INTERVAL_MS: positiveInt(3_600_000)({ default: 5_000 }),
			NOTIFY_SEND_TIMEOUT_MS: positiveInt(120_000)({ default: 10_000 }),
			SEARCH_URL: optionalUrl(["http", "https"])({ default: "" }),
			SEARCH_ENGINE: str({ default: "opensearch", choices: ["opensearch", "elasticsearch"] }),
			SEARCH_INDEX: str({ default: "shop-products" }),
			SEARCH_REINDEX_PAGE_SIZE: positiveInt(5_000)({ default: 500 }),
			SEARCH_RELEVANCE_TARGET_PASS_RATE: nonNegativeNumber({ default: 0.9 }),
			SEARCH_RELEVANCE_MAX_AGE_DAYS: positiveInt(3650)({ default: 180 }),
			SEARCH_TOMBSTONE_RETENTION_H: positiveInt()({ default: 168 }),
		},
		{
			reporter: ({ errors }) => {
				const names = Object.keys(errors);
				if (names.length === 0) return;
				const reasons = names.map(
					(name) => `${name}: ${(errors as Record<string, Error>)[name]?.message ?? "invalid"}`,
				);
				throw new ConfigError(`invalid configuration: ${reasons.join("; ")}`);
			},
		},
	);
}

export interface AppConfig {
	env: "development" | "production" | "test";
	namespace: string;
	nodeId: string;
	/** Services this node runs; empty = every service (embedded mode). */
	services: string[];
	http: {
		host: string;
		port: number;
		bodyLimitBytes: number;
		/** Requests per client address per window on `/api/auth` and on the other routes; 0 = no limit. */
		rateLimit: { windowMs: number; auth: number; api: number };
	};
	/** Access tokens (HS256 JWT): the gateway verifies them, the auth service (and bin/issue-token) signs them. */
	auth: {
		jwtSecret: string;
		jwtIssuer: string;
		accessTokenTtlS: number;
		refreshTokenTtlS: number;
		/** How long a gateway reuses auth.validate's "valid" for a token, unless a revocation broadcast names it first. */
		validateCacheMs: number;
	};
	/**
	 * Failed logins refused with a 429 past `maxFailuresPerAccount` per email or `maxFailuresPerIp` per client
	 * address within `windowMs` (counted in the auth service's key-value store); 0 = no such limit.
	 */
	loginLimits: { maxFailuresPerAccount: number; maxFailuresPerIp: number; windowMs: number };
	/** ADMIN_EMAIL / ADMIN_PASSWORD: the auth service's start makes sure this admin account exists; null when unset. */
	adminAccount: { email: string; password: string } | null;
	/** OpenID Connect login (OIDC_*): the provider and our client at it; null when OIDC_ISSUER_URL is empty (off). */
	oidc: OidcConfig | null;
	/** Peers (IPs and CIDRs) whose `X-Forwarded-For` is believed; empty = the socket's address is the client's. */
	trustedProxies: string[];
	/**
	 * Catalog reads (products.list, get, getMany, getManyBySku) kept in each products node's memory: at
	 * most `max` answers, each for at most `ttlS` seconds; a write clears every node's. ttlS 0: off.
	 */
	catalogCache: { ttlS: number; max: number };
	dataDir: string;
	/** NATS URL, or "" for the in-process (embedded) transport. */
	transporter: string;
	/** `compoundBegin`: on MariaDB, a consumer's transaction opens with its dedup INSERT in one round trip. */
	db: { url: string; namePrefix: string; poolMax: number; compoundBegin: boolean };
	redis: { url: string };
	tracing: { zipkinUrl: string };
	metrics: { enabled: boolean; host: string; port: number };
	/** `auto`: coloured text lines on a terminal, JSON lines otherwise (lib/observability/log-format.ts). */
	logging: { level: string; format: "auto" | "json" | "text" };
	/** Browser origins allowed to call the API (`*`: any); empty: no CORS headers at all. */
	cors: { origins: string[] };
	/** The gateway's timeout, breaker and bulkhead per downstream service: `defaults`, and per-service `overrides`. */
	downstream: { defaults: DownstreamLimits; overrides: Record<string, DownstreamOverride> };
	broker: {
		requestTimeoutMs: number;
		/** Packets sent in one turn of the event loop go to NATS in one write (lib/cluster/coalescing-nats-transporter.ts). */
		coalesceNatsWrites: boolean;
		heartbeatIntervalS: number;
		heartbeatTimeoutS: number;
		retryAttempts: number;
		circuitBreaker: { threshold: number; minRequestCount: number; windowTimeS: number; halfOpenTimeS: number };
		bulkhead: { concurrency: number; maxQueueSize: number };
	};
	health: { timeoutMs: number };
	/** Seed demo stock into an empty embedded (SQLite) inventory, so `npm start` has something to try. */
	seedDemoData: boolean;
	events: {
		url: string;
		maxRetries: number;
		deadLetterTopic: string;
		maxInFlight: number;
		/** Partitions of the Kafka topics a node creates (a group consumes them concurrently). */
		kafkaPartitions: number;
		/** A consumer silent this long is dropped from its group and its partitions go to the others. */
		kafkaSessionTimeoutMs: number;
		/** Kafka consumers commit offsets at most this often. */
		kafkaCommitIntervalMs: number;
	};
	outbox: {
		relayIntervalMs: number;
		claimBatch: number;
		leaseMs: number;
		maxAttempts: number;
		backoffBaseMs: number;
		backoffMaxMs: number;
		retentionMs: number;
		dedupRetentionMs: number;
		cleanupIntervalMs: number;
	};
	inventory: {
		reservationTtlMs: number;
		maxQuantityPerOrder: number;
		maxBatch: number;
		mailboxDepth: number;
		idleEvictMs: number;
		maxActors: number;
		reservationCacheLimit: number;
		maxFenceRetries: number;
		sweepIntervalMs: number;
		sweepBatch: number;
		/** Callers group concurrent reserves of one SKU into one reserveBatch call. */
		callBatching: boolean;
		/** On MariaDB, a batch commits in two round trips (compound statements) instead of four. */
		compoundCommit: boolean;
		callBatchMax: number;
	};
	orders: {
		/** An order not PAID this long after it was made is TIMED_OUT. */
		paymentTimeoutMs: number;
		timeoutSweepMs: number;
		/** Back-pressure on new orders when the saga is behind (services/orders/checkout-admission.ts). */
		admission: { maxLagMs: number; maxLagging: number; stallMs: number; checkEveryMs: number };
	};
	payments: {
		/** Where the provider delivers its webhooks: our gateway's `/api/payments/webhook` unless set. */
		webhookUrl: string;
		/** HMAC-SHA256 key of webhook signatures, shared with the provider. */
		webhookSecret: string;
		/** Provider calls are tried this many times (with backoff) before they go to the dead letters. */
		providerMaxAttempts: number;
		providerBackoffMs: number;
		/** The built-in sandbox provider: its answer latency, webhook delay, and how often it misbehaves. */
		sandbox: { latencyMs: number; webhookDelayMs: number; duplicateRate: number; reorderRate: number };
	};
	notifications: {
		/** `log` writes each message to the log; `smtp` sends it through `smtpUrl`. */
		provider: "log" | "smtp";
		smtpUrl: string;
		from: string;
		/** Deliveries are tried this many times (backoff doubling from `retryBackoffMs`), then dead-lettered. */
		maxAttempts: number;
		retryBackoffMs: number;
		/** How often each node looks for due retries (and deliveries a dead node left). */
		retryIntervalMs: number;
		/** A send that takes longer failed (and a node that died mid-send is taken over after it). */
		sendTimeoutMs: number;
	};
	search: {
		/** OpenSearch or Elasticsearch; "" = the embedded in-process index, rebuilt from the catalog at start. */
		url: string;
		engine: "opensearch" | "elasticsearch";
		/** The alias searches go through; each (re)build is an index named after it. */
		index: string;
		reindexPageSize: number;
		/** The share of the curated relevance queries that must pass (`meetsTarget`). */
		relevanceTargetPassRate: number;
		/** The relevance dataset is stale (health fails) when curated longer ago than this. */
		relevanceMaxAgeDays: number;
		/** Index tombstones older than this are purged (default: the dedup retention's default). */
		tombstoneRetentionMs: number;
	};
	/** True when no external infrastructure is configured. */
	embedded: boolean;
}

/** Signs development webhooks only: production refuses it, as it refuses the development JWT secret. */
export const DEV_WEBHOOK_SECRET = "insecure-development-webhook-secret";

/** Signs development tokens only: anyone who reads this file can forge them, so production refuses it. */
export const DEV_JWT_SECRET = "insecure-development-jwt-secret-do-not-use-in-production";

function jwtSecretOf(nodeEnv: string, secret: string): string {
	if (nodeEnv === "production" && (secret === "" || secret === DEV_JWT_SECRET)) {
		throw new ConfigError("invalid configuration: JWT_SECRET must be set to a private secret when NODE_ENV=production");
	}
	// RFC 7518 3.2: an HS256 key must be at least as long as the hash (256 bits).
	if (secret !== "" && Buffer.byteLength(secret) < 32) {
		throw new ConfigError("invalid configuration: JWT_SECRET must be at least 32 bytes long (HS256)");
	}
	return secret || DEV_JWT_SECRET;
}

/**
 * Both or neither; the password under signup's rule (8..128 characters), in every environment: a shorter
 * one could not log in, and production must not start with an operator account that is easy to guess.
 */
function adminAccountOf(rawEmail: string, password: string): AppConfig["adminAccount"] {
	const email = rawEmail.trim().toLowerCase();
	if (email === "" && password === "") return null;
	if (email === "" || password === "") {
		throw new ConfigError("invalid configuration: ADMIN_EMAIL and ADMIN_PASSWORD must be set together");
	}
	if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
		throw new ConfigError("invalid configuration: ADMIN_EMAIL must be an email address");
	}
	if (password.length < 8 || password.length > 128) {
		throw new ConfigError("invalid configuration: ADMIN_PASSWORD must be 8..128 characters (the signup rule)");
	}
	return { email, password };
}

export interface OidcConfig {
	issuerUrl: string;
	clientId: string;
	/** Empty for a public client (PKCE alone proves the code is ours). */
	clientSecret: string;
	/** Our callback (`/api/auth/oidc/callback` on the address browsers reach), registered at the provider. */
	redirectUrl: string;
	scopes: string;
	/** Shown in messages and docs ("Sign in with ..."); the issuer's host when unset. */
	providerName: string;
}

/**
 * On with an issuer, which then needs a client id and our callback. Plain http only outside production
 * (a provider started by a test, or on the developer's machine): tokens would cross the wire in clear.
 */
function oidcConfigOf(e: ReturnType<typeof readEnv>): OidcConfig | null {
	if (e.OIDC_ISSUER_URL === "") return null;
	if (e.OIDC_CLIENT_ID === "" || e.OIDC_REDIRECT_URL === "") {
		throw new ConfigError("invalid configuration: OIDC_ISSUER_URL needs OIDC_CLIENT_ID and OIDC_REDIRECT_URL");
	}
	const plainHttp = [e.OIDC_ISSUER_URL, e.OIDC_REDIRECT_URL].some((url) => new URL(url).protocol === "http:");
	if (e.NODE_ENV === "production" && plainHttp) {
		throw new ConfigError(
			"invalid configuration: OIDC_ISSUER_URL and OIDC_REDIRECT_URL must be https:// in production",
		);
	}
	if (!e.OIDC_SCOPES.split(/\s+/).includes("openid")) {
		throw new ConfigError('invalid configuration: OIDC_SCOPES must include "openid"');
	}
	return {
		issuerUrl: e.OIDC_ISSUER_URL,
		clientId: e.OIDC_CLIENT_ID,
		clientSecret: e.OIDC_CLIENT_SECRET,
		redirectUrl: e.OIDC_REDIRECT_URL,
		scopes: e.OIDC_SCOPES.trim(),
		providerName: e.OIDC_PROVIDER_NAME || new URL(e.OIDC_ISSUER_URL).host,
	};
}

function trustedProxiesOf(list: string): string[] {
	const entries = list
		.split(",")
		.map((entry) => entry.trim())
		.filter(Boolean);
	try {
		trustedProxyMatcher(entries);
	} catch (err) {
		throw new ConfigError(`invalid configuration: TRUSTED_PROXIES: ${(err as Error).message}`);
	}
	return entries;
}

/** Parses and validates an environment. Pure: tests pass their own `env`. Throws ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
	const e = readEnv(withSecretFiles(env));
	if (e.HEARTBEAT_TIMEOUT_S <= e.HEARTBEAT_INTERVAL_S) {
		throw new ConfigError("invalid configuration: HEARTBEAT_TIMEOUT_S must be greater than HEARTBEAT_INTERVAL_S");
	}
	if (e.CIRCUIT_BREAKER_THRESHOLD > 1) {
		throw new ConfigError("invalid configuration: CIRCUIT_BREAKER_THRESHOLD must be a ratio in 0..1");
	}
	const jwtSecret = jwtSecretOf(e.NODE_ENV, e.JWT_SECRET);
	const adminAccount = adminAccountOf(e.ADMIN_EMAIL, e.ADMIN_PASSWORD);
	const trustedProxies = trustedProxiesOf(e.TRUSTED_PROXIES);
	/** Whether this node runs `service` (every service when SERVICES is empty). */
	const runs = (service: string) => e.SERVICES.length === 0 || e.SERVICES.includes(service);
	// Checked where orders runs (its payment wait is the one that matters): a hold that expired while its
	// order still waits for payment would confirm nothing once paid. Give orders nodes inventory's TTL too.
	if (runs("orders") && e.INVENTORY_RESERVATION_TTL_S * 1000 < e.ORDER_PAYMENT_TIMEOUT_MS) {
		throw new ConfigError(
			`invalid configuration: INVENTORY_RESERVATION_TTL_S (${e.INVENTORY_RESERVATION_TTL_S} s) must not be shorter than ORDER_PAYMENT_TIMEOUT_MS (${e.ORDER_PAYMENT_TIMEOUT_MS} ms): reservations must outlive the payment wait`,
		);
	}
	for (const name of ["PAYMENT_SANDBOX_DUPLICATE_RATE", "PAYMENT_SANDBOX_REORDER_RATE"] as const) {
		if (e[name] > 1) throw new ConfigError(`invalid configuration: ${name} must be a ratio in 0..1`);
	}
	if (runs("notifications") && e.NOTIFY_PROVIDER === "smtp" && e.SMTP_URL === "") {
		throw new ConfigError("invalid configuration: NOTIFY_PROVIDER=smtp needs SMTP_URL (smtp://host:port)");
	}
	// Only a node that runs payments signs and checks webhooks.
	const devWebhookSecret = e.PAYMENTS_WEBHOOK_SECRET === "" || e.PAYMENTS_WEBHOOK_SECRET === DEV_WEBHOOK_SECRET;
	if (e.NODE_ENV === "production" && runs("payments") && devWebhookSecret) {
		throw new ConfigError(
			"invalid configuration: PAYMENTS_WEBHOOK_SECRET must be set to a private secret when NODE_ENV=production",
		);
	}
	if (e.SEARCH_RELEVANCE_TARGET_PASS_RATE > 1) {
		throw new ConfigError("invalid configuration: SEARCH_RELEVANCE_TARGET_PASS_RATE must be a ratio in 0..1");
	}
	if (!/^[a-z0-9][a-z0-9._-]{0,200}$/.test(e.SEARCH_INDEX)) {
		throw new ConfigError(
			"invalid configuration: SEARCH_INDEX must be a lowercase index name ([a-z0-9._-], starting with a letter or digit)",
		);
	}
	return {
		env: e.NODE_ENV as AppConfig["env"],
		namespace: e.NAMESPACE,
		nodeId: e.NODE_ID || `${os.hostname()}-${process.pid}`,
		services: e.SERVICES,
		http: {
			host: e.HOST,
			port: e.PORT,
			bodyLimitBytes: e.HTTP_BODY_LIMIT,
			rateLimit: {
				windowMs: e.RATE_LIMIT_WINDOW_S * 1000,
				auth: Math.floor(e.RATE_LIMIT_AUTH),
				api: Math.floor(e.RATE_LIMIT_API),
			},
		},
		auth: {
			jwtSecret,
			jwtIssuer: e.JWT_ISSUER,
			accessTokenTtlS: e.JWT_TTL_S,
			refreshTokenTtlS: e.REFRESH_TOKEN_TTL_S,
			validateCacheMs: e.AUTH_VALIDATE_CACHE_MS,
		},
		loginLimits: {
			maxFailuresPerAccount: Math.floor(e.AUTH_LOGIN_MAX_FAILURES_PER_ACCOUNT),
			maxFailuresPerIp: Math.floor(e.AUTH_LOGIN_MAX_FAILURES_PER_IP),
			windowMs: e.AUTH_LOGIN_FAILURE_WINDOW_S * 1000,
		},
		adminAccount,
		oidc: oidcConfigOf(e),
		trustedProxies,
		catalogCache: { ttlS: e.CATALOG_CACHE_TTL_S, max: e.CATALOG_CACHE_MAX },
		dataDir: path.resolve(e.DATA_DIR),
		transporter: e.TRANSPORTER,
		db: {
			url: e.DATABASE_URL,
			namePrefix: e.DB_NAME_PREFIX,
			poolMax: e.DB_POOL_MAX,
			compoundBegin: e.DB_COMPOUND_BEGIN,
		},
		redis: { url: e.REDIS_URL },
		events: {
			url: e.EVENTS_URL,
			maxRetries: e.EVENTS_MAX_RETRIES,
			deadLetterTopic: e.EVENTS_DEAD_LETTER_TOPIC,
			maxInFlight: e.EVENTS_MAX_IN_FLIGHT,
			kafkaPartitions: e.EVENTS_KAFKA_PARTITIONS,
			kafkaSessionTimeoutMs: e.EVENTS_KAFKA_SESSION_TIMEOUT_MS,
			kafkaCommitIntervalMs: e.EVENTS_KAFKA_COMMIT_INTERVAL_MS,
		},
		outbox: {
			relayIntervalMs: e.OUTBOX_RELAY_INTERVAL_MS,
			claimBatch: e.OUTBOX_CLAIM_BATCH,
			leaseMs: e.OUTBOX_LEASE_MS,
			maxAttempts: e.OUTBOX_MAX_ATTEMPTS,
			backoffBaseMs: e.OUTBOX_BACKOFF_BASE_MS,
			backoffMaxMs: e.OUTBOX_BACKOFF_MAX_MS,
			retentionMs: e.OUTBOX_RETENTION_H * 3_600_000,
			dedupRetentionMs: e.DEDUP_RETENTION_H * 3_600_000,
			cleanupIntervalMs: e.EVENTS_CLEANUP_INTERVAL_S * 1000,
		},
		tracing: { zipkinUrl: e.ZIPKIN_URL },
		metrics: { enabled: e.METRICS_ENABLED, host: e.METRICS_HOST, port: e.METRICS_PORT },
		logging: { level: e.LOG_LEVEL, format: e.LOG_FORMAT as AppConfig["logging"]["format"] },
		cors: { origins: e.CORS_ORIGINS },
		downstream: {
			defaults: {
				timeoutMs: e.REQUEST_TIMEOUT_MS,
				breaker: {
					threshold: e.CIRCUIT_BREAKER_THRESHOLD,
					minRequests: e.CIRCUIT_BREAKER_MIN_REQUESTS,
					windowMs: e.CIRCUIT_BREAKER_WINDOW_S * 1000,
					halfOpenMs: e.CIRCUIT_BREAKER_HALF_OPEN_S * 1000,
				},
				bulkhead: { concurrency: e.BULKHEAD_CONCURRENCY, maxQueue: e.BULKHEAD_MAX_QUEUE },
			},
			overrides: e.GATEWAY_DOWNSTREAM,
		},
		broker: {
			requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
			coalesceNatsWrites: e.NATS_COALESCE_WRITES,
			heartbeatIntervalS: e.HEARTBEAT_INTERVAL_S,
			heartbeatTimeoutS: e.HEARTBEAT_TIMEOUT_S,
			retryAttempts: e.RETRY_ATTEMPTS,
			circuitBreaker: {
				threshold: e.CIRCUIT_BREAKER_THRESHOLD,
				minRequestCount: e.CIRCUIT_BREAKER_MIN_REQUESTS,
				windowTimeS: e.CIRCUIT_BREAKER_WINDOW_S,
				halfOpenTimeS: e.CIRCUIT_BREAKER_HALF_OPEN_S,
			},
			bulkhead: { concurrency: e.BULKHEAD_CONCURRENCY, maxQueueSize: e.BULKHEAD_MAX_QUEUE },
		},
		health: { timeoutMs: e.HEALTH_CHECK_TIMEOUT_MS },
		seedDemoData: e.SEED_DEMO_DATA,
		inventory: {
			reservationTtlMs: e.INVENTORY_RESERVATION_TTL_S * 1000,
			maxQuantityPerOrder: e.INVENTORY_MAX_QUANTITY_PER_ORDER,
			maxBatch: e.INVENTORY_MAX_BATCH,
			mailboxDepth: e.INVENTORY_MAILBOX_DEPTH,
			idleEvictMs: e.INVENTORY_ACTOR_IDLE_S * 1000,
			maxActors: e.INVENTORY_MAX_ACTORS,
			reservationCacheLimit: e.INVENTORY_RESERVATION_CACHE,
			maxFenceRetries: e.INVENTORY_MAX_FENCE_RETRIES,
			sweepIntervalMs: e.INVENTORY_SWEEP_INTERVAL_S * 1000,
			sweepBatch: e.INVENTORY_SWEEP_BATCH,
			callBatching: e.INVENTORY_CALL_BATCHING,
			compoundCommit: e.INVENTORY_COMPOUND_COMMIT,
			callBatchMax: e.INVENTORY_CALL_BATCH_MAX,
		},
		orders: {
			paymentTimeoutMs: e.ORDER_PAYMENT_TIMEOUT_MS,
			timeoutSweepMs: e.ORDER_TIMEOUT_SWEEP_MS,
			admission: {
				maxLagMs: e.ORDER_ADMISSION_MAX_LAG_MS,
				maxLagging: e.ORDER_ADMISSION_MAX_LAGGING,
				stallMs: e.ORDER_ADMISSION_STALL_MS,
				checkEveryMs: e.ORDER_ADMISSION_CHECK_MS,
			},
		},
		payments: {
			webhookUrl: e.PAYMENTS_WEBHOOK_URL,
			webhookSecret: e.PAYMENTS_WEBHOOK_SECRET || DEV_WEBHOOK_SECRET,
			providerMaxAttempts: e.PAYMENT_PROVIDER_MAX_ATTEMPTS,
			providerBackoffMs: e.PAYMENT_PROVIDER_BACKOFF_MS,
			sandbox: {
				latencyMs: e.PAYMENT_SANDBOX_LATENCY_MS,
				webhookDelayMs: e.PAYMENT_SANDBOX_WEBHOOK_DELAY_MS,
				duplicateRate: e.PAYMENT_SANDBOX_DUPLICATE_RATE,
				reorderRate: e.PAYMENT_SANDBOX_REORDER_RATE,
			},
		},
		notifications: {
			provider: e.NOTIFY_PROVIDER as "log" | "smtp",
			smtpUrl: e.SMTP_URL,
			from: e.NOTIFY_FROM,
			maxAttempts: e.NOTIFY_MAX_ATTEMPTS,
			retryBackoffMs: e.NOTIFY_RETRY_BACKOFF_MS,
			retryIntervalMs: e.NOTIFY_RETRY_INTERVAL_MS,
			sendTimeoutMs: e.NOTIFY_SEND_TIMEOUT_MS,
		},
		search: {
			url: e.SEARCH_URL,
			engine: e.SEARCH_ENGINE as "opensearch" | "elasticsearch",
			index: e.SEARCH_INDEX,
			reindexPageSize: e.SEARCH_REINDEX_PAGE_SIZE,
			relevanceTargetPassRate: e.SEARCH_RELEVANCE_TARGET_PASS_RATE,
			relevanceMaxAgeDays: e.SEARCH_RELEVANCE_MAX_AGE_DAYS,
			tombstoneRetentionMs: e.SEARCH_TOMBSTONE_RETENTION_H * 3_600_000,
		},
		embedded: !e.TRANSPORTER && !e.DATABASE_URL && !e.REDIS_URL && !e.EVENTS_URL,
	};
}

let current: AppConfig | undefined;

/**
 * The process's configuration, read from `process.env` once. Only entry points call this; services
 * and mixins read the config their broker was built with (`appConfigOf(broker)`), so tests can run
 * several differently configured brokers in one process.
 */
export function getConfig(): AppConfig {
	current ??= loadConfig(process.env);
	return current;
}
