/**
 * What one `npm run bench:checkout` does, from the environment. The defaults are the full run the
 * checkout issue's targets are judged on; every number can be lowered for a quick look
 * (`BENCH_SECONDS=3 BENCH_FLASH_ORDERS=2000 BENCH_FLASH_STOCK=200 npm run bench:checkout`).
 */
import { localMariadbSocket } from "../../test/support/infra";
import { runOutputFile } from "../support/run-output";
import { numberFrom } from "../support/settings";

export type PhaseKey = "ceiling" | "saturation" | "latency" | "flash";
export const ALL_PHASES: PhaseKey[] = ["ceiling", "saturation", "latency", "flash"];
export type NodeKey = "gateway" | "inventory" | "checkout";
const ALL_NODES: NodeKey[] = ["gateway", "inventory", "checkout"];

export interface CheckoutBenchSettings {
	phases: PhaseKey[];
	/** (a) and its ceiling: measured window and warm-up before it, seconds; requests in flight. */
	seconds: number;
	warmupSeconds: number;
	inflight: number;
	/** (b): orders offered per second (open loop) and for how long. */
	rate: number;
	rateSeconds: number;
	/** (c): orders of 1 unit, the stock of the one SKU, requests in flight. */
	flashOrders: number;
	flashStock: number;
	flashInflight: number;
	/** SKUs the orders of (a) and (b) spread over, and distinct shoppers placing them. */
	skus: number;
	users: number;
	/** How long a phase's orders may take to reach a terminal status before the bench calls it stuck. */
	drainTimeoutMs: number;
	/** How long the first (probe) order may take to be CONFIRMED: Kafka consumer groups join late. */
	probeTimeoutMs: number;
	/** Concurrency of the after-the-fact reads (`GET /api/orders/{id}`, `payments.byOrder`). */
	readConcurrency: number;
	databaseUrl: string;
	natsUrl: string;
	/** "" runs the nodes without Redis (per-node key-value state). */
	redisUrl: string;
	kafkaUrl: string;
	forceDurable: boolean;
	mariadbRootSocket: string;
	/** Extra environment for every shop node, and per node (`NAME=value,NAME=value`). */
	nodeEnv: Record<string, string>;
	perNodeEnv: Record<NodeKey, Record<string, string>>;
	/** When set, these nodes run with --cpu-prof and write their profile here when they stop. */
	cpuProfileDir: string;
	cpuProfileNodes: NodeKey[];
	/** Where the run's section goes: by default a file of this run's own under bench/runs/ ("" = not written). */
	resultsFile: string;
	jsonOut: string;
}

function assignmentsFrom(env: NodeJS.ProcessEnv, name: string): Record<string, string> {
	const raw = env[name];
	if (!raw) return {};
	const pairs = raw.split(/[,\s]+/).filter(Boolean);
	const invalid = pairs.filter((pair) => !/^[A-Z0-9_]+=/.test(pair));
	if (invalid.length > 0) throw new Error(`${name}: expected NAME=value pairs, got ${invalid.join(", ")}`);
	return Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
}

function namesFrom<T extends string>(env: NodeJS.ProcessEnv, name: string, known: readonly T[], fallback: T[]): T[] {
	const raw = env[name];
	if (!raw) return fallback;
	const names = raw.split(",").map((part) => part.trim());
	const unknown = names.filter((n) => !known.includes(n as T));
	if (unknown.length > 0) throw new Error(`${name}: unknown ${unknown.join(", ")} (known: ${known.join(", ")})`);
	return names as T[];
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
	const value = numberFrom(env, name, fallback);
	if (value <= 0) throw new Error(`${name} must be positive, got ${value}`);
	return value;
}

export function readCheckoutSettings(env: NodeJS.ProcessEnv = process.env): CheckoutBenchSettings {
	const inflight = Math.round(positive(env, "BENCH_INFLIGHT", 200));
	const settings: CheckoutBenchSettings = {
		phases: namesFrom(env, "BENCH_PHASES", ALL_PHASES, ALL_PHASES),
		seconds: positive(env, "BENCH_SECONDS", 10),
		warmupSeconds: numberFrom(env, "BENCH_WARMUP_SECONDS", 3),
		inflight,
		rate: positive(env, "BENCH_RATE", 100),
		rateSeconds: positive(env, "BENCH_RATE_SECONDS", 10),
		flashOrders: Math.round(positive(env, "BENCH_FLASH_ORDERS", 10_000)),
		flashStock: Math.round(positive(env, "BENCH_FLASH_STOCK", 1000)),
		flashInflight: Math.round(positive(env, "BENCH_FLASH_INFLIGHT", inflight)),
		skus: Math.round(positive(env, "BENCH_SKUS", 20)),
		users: Math.round(positive(env, "BENCH_USERS", 1000)),
		drainTimeoutMs: positive(env, "BENCH_DRAIN_TIMEOUT_S", 300) * 1000,
		probeTimeoutMs: positive(env, "BENCH_PROBE_TIMEOUT_S", 120) * 1000,
		readConcurrency: Math.round(positive(env, "BENCH_READ_CONCURRENCY", 32)),
		databaseUrl: env.BENCH_DATABASE_URL ?? "mysql://shop:shop@127.0.0.1:3306",
		natsUrl: env.BENCH_NATS_URL ?? "nats://127.0.0.1:4222",
		redisUrl: env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379",
		kafkaUrl: env.BENCH_KAFKA_URL ?? "kafka://127.0.0.1:9092",
		forceDurable: (env.BENCH_DURABLE ?? "1") !== "0",
		mariadbRootSocket: env.BENCH_MARIADB_ROOT_SOCKET ?? localMariadbSocket(env),
		nodeEnv: assignmentsFrom(env, "BENCH_NODE_ENV"),
		perNodeEnv: {
			gateway: assignmentsFrom(env, "BENCH_GATEWAY_ENV"),
			inventory: assignmentsFrom(env, "BENCH_INVENTORY_ENV"),
			checkout: assignmentsFrom(env, "BENCH_CHECKOUT_ENV"),
		},
		cpuProfileDir: env.BENCH_CPU_PROF_DIR ?? "",
		cpuProfileNodes: namesFrom(env, "BENCH_CPU_PROF_NODES", ALL_NODES, ALL_NODES),
		resultsFile: env.BENCH_RESULTS_FILE ?? runOutputFile("checkout"),
		jsonOut: env.BENCH_JSON_OUT ?? "",
	};
	if (settings.flashInflight > settings.flashOrders) settings.flashInflight = settings.flashOrders;
	return settings;
}
