import { randomBytes } from "node:crypto";
import { signAccessToken } from "../../lib/auth/access-token";
import { ADMIN_ROLE } from "../../services/gateway/admin-routes";
import { ChildNode } from "./child-node";
import type { ApproachKey } from "./settings";

/** Everything a node of the bench cluster shares: transport, database server, namespace, quiet logs. */
export interface ClusterEnv {
	natsUrl: string;
	databaseUrl: string;
	redisUrl: string;
	/** `shop_bench_<id>_`: every database of the run starts with it and is dropped at the end. */
	dbNamePrefix: string;
	namespace: string;
}

/** How the bench starts the node under test: profiling and setting overrides (actor only). */
export interface NodeOptions {
	cpuProfileDir: string;
	inventoryEnv: Record<string, string>;
}

/** One way of reserving stock, served by its own node process. */
export interface Approach {
	key: ApproachKey;
	label: string;
	/** The Moleculer service whose `reserve` and `setStock` the load calls. */
	service: string;
	/** The database (after the prefix) holding its `stock` and `reservations` tables; "" = keeps no stock. */
	database: string;
	start(cluster: ClusterEnv, options: NodeOptions): ChildNode;
}

/** Production mode refuses to start without a JWT secret; benchmark nodes get a fresh one per run. */
export const BENCH_JWT_SECRET = randomBytes(32).toString("hex");

/**
 * The bench's callers over HTTP: an operator (setting stock needs the admin role). One token for the
 * whole run, as a real client keeps its token: the gateway validates it with the auth service once
 * per AUTH_VALIDATE_CACHE_MS. Ceiling servers get the same header and ignore it.
 */
export function benchOperatorToken(): Promise<string> {
	return signAccessToken(
		{ sub: "bench-operator", roles: [ADMIN_ROLE] },
		{ jwtSecret: BENCH_JWT_SECRET, jwtIssuer: "shop", accessTokenTtlS: 86_400 },
	);
}

/**
 * The bench overloads its baseline nodes on purpose: the Redis lock answers 503 LOCK_NOT_ACQUIRED to
 * over half of its calls at N=1000, and its event loop stalls for seconds. A caller's circuit breaker
 * then opened on it and the next scenario (its sell-out) got SERVICE_NOT_AVAILABLE for every request;
 * late heartbeats could drop the node the same way. The bench compares designs, not how callers
 * protect themselves from them: both are kept out of its way.
 */
export const BENCH_CALLER_ENV = {
	CIRCUIT_BREAKER_MIN_REQUESTS: "1000000000",
	HEARTBEAT_TIMEOUT_S: "60",
};

export function nodeEnv(cluster: ClusterEnv, extra: Record<string, string> = {}): Record<string, string> {
	return {
		...BENCH_CALLER_ENV,
		NODE_ENV: "production",
		JWT_SECRET: BENCH_JWT_SECRET,
		TRANSPORTER: cluster.natsUrl,
		DATABASE_URL: cluster.databaseUrl,
		DB_NAME_PREFIX: cluster.dbNamePrefix,
		NAMESPACE: cluster.namespace,
		METRICS_ENABLED: "false",
		LOG_LEVEL: "warn",
		// The bench orders 1 unit; the limit only has to allow the sell-out's stock-sized checks.
		INVENTORY_MAX_QUANTITY_PER_ORDER: "1000",
		...extra,
	};
}

function baseline(key: "conditional" | "lock" | "noop", label: string, service: string): Approach {
	return {
		key,
		label,
		service,
		database: key === "noop" ? "" : `bench_${key}`,
		start: (cluster) =>
			ChildNode.start({
				name: `${key} baseline`,
				script: "bench/nodes/baseline-node.ts",
				env: nodeEnv(cluster, {
					NODE_ID: `bench-${key}`,
					BENCH_BASELINE: key,
					// The node runs the baseline service only: no shop service's production checks apply (with
					// SERVICES empty the config would ask for the payments webhook secret, as for an all-in-one node).
					SERVICES: "none",
					...(key === "lock" ? { REDIS_URL: cluster.redisUrl } : {}),
				}),
			}),
	};
}

export const APPROACHES: Record<ApproachKey, Approach> = {
	actor: {
		key: "actor",
		label: "actor (inventory)",
		service: "inventory",
		database: "inventory",
		start: (cluster, { cpuProfileDir, inventoryEnv }) =>
			ChildNode.start({
				name: "inventory",
				script: "bin/shop-node.ts",
				env: nodeEnv(cluster, { SERVICES: "inventory", NODE_ID: "bench-inventory", ...inventoryEnv }),
				nodeFlags: cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfileDir}`] : [],
			}),
	},
	conditional: baseline("conditional", "conditional UPDATE", "benchConditional"),
	lock: baseline("lock", "Redis lock", "benchLock"),
	noop: baseline("noop", "no-op (transport ceiling)", "benchNoop"),
};

/** The HTTP line's ceilings: what answering alone costs, with nothing stored and nothing called. */
export const HTTP_CEILINGS = {
	/** A bare Node HTTP server answering like the gateway would: the most any Node gateway reaches here. */
	node: {
		label: "bare HTTP echo (HTTP ceiling)",
		key: "echo",
		start: (port: number) =>
			ChildNode.start({ name: "http echo", script: "bench/nodes/http-echo-node.ts", env: { PORT: String(port) } }),
	},
	/** moleculer-web with a no-op action: the most a gateway on the design's framework reaches here. */
	moleculerWeb: {
		label: "moleculer-web no-op (gateway ceiling)",
		key: "moleculer-web-noop",
		start: (port: number) =>
			ChildNode.start({
				name: "moleculer-web no-op",
				script: "bench/nodes/moleculer-web-noop-node.ts",
				env: { PORT: String(port) },
			}),
	},
};

/** The gateway node in front of the inventory; profiled too when BENCH_CPU_PROF_DIR is set. */
export function startGatewayNode(cluster: ClusterEnv, port: number, cpuProfileDir = ""): ChildNode {
	return ChildNode.start({
		name: "gateway",
		script: "bin/shop-node.ts",
		// The auth service beside the gateway, as a gateway node runs it: token checks stay in-process.
		env: nodeEnv(cluster, {
			SERVICES: "gateway,auth",
			NODE_ID: "bench-gateway",
			HOST: "127.0.0.1",
			PORT: String(port),
		}),
		nodeFlags: cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfileDir}`] : [],
	});
}
