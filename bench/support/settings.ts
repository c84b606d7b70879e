/**
 * What one bench run does, from the environment. Defaults are the full run; every number can be
 * lowered for a quick look (`BENCH_SECONDS=3 BENCH_INFLIGHT=200 npm run bench:inventory`).
 */
import { localMariadbSocket } from "../../test/support/infra";
import { runOutputFile } from "./run-output";

export type ApproachKey = "actor" | "conditional" | "lock" | "noop";

export interface BenchSettings {
	/** Measured seconds per (approach, N) scenario, after the warm-up. */
	seconds: number;
	warmupSeconds: number;
	/** Requests kept in flight, one closed-loop scenario per value. */
	inflight: number[];
	approaches: ApproachKey[];
	/** In-flight requests of the HTTP gateway scenario; 0 skips it. */
	httpInflight: number;
	/** Sell-out scenario: initial stock, total requests and in-flight requests (0 stock skips it). */
	sellOut: { stock: number; requests: number; inflight: number };
	/** Initial stock of the throughput scenarios: high enough never to sell out. */
	stock: number;
	databaseUrl: string;
	redisUrl: string;
	natsUrl: string;
	/** Make MariaDB commits durable (innodb_flush_log_at_trx_commit=1) for the run, then restore. */
	forceDurable: boolean;
	/** Where MariaDB's root unix socket is (used only by forceDurable). */
	mariadbRootSocket: string;
	/** When set, the inventory node runs with --cpu-prof and writes its profile here. */
	cpuProfileDir: string;
	/** Extra environment of the inventory node, to try settings (BENCH_INVENTORY_ENV="A=1,B=2"). */
	inventoryEnv: Record<string, string>;
	/** When set, the run's figures are also written here as JSON (to compare several runs). */
	jsonOut: string;
	/** Where the markdown report goes: by default a file of this run's own under bench/runs/ ("" = do not write one). */
	resultsFile: string;
}

const ALL_APPROACHES: ApproachKey[] = ["actor", "conditional", "lock", "noop"];

export function numberFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
	const raw = env[name];
	if (raw === undefined || raw === "") return fallback;
	const value = Number(raw);
	if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
	return value;
}

function listFrom(env: NodeJS.ProcessEnv, name: string, fallback: number[]): number[] {
	const raw = env[name];
	if (!raw) return fallback;
	const values = raw.split(",").map((part) => Number(part.trim()));
	if (values.some((v) => !Number.isInteger(v) || v <= 0)) {
		throw new Error(`${name} must be a comma-separated list of positive integers, got "${raw}"`);
	}
	return values;
}

function assignmentsFrom(env: NodeJS.ProcessEnv, name: string): Record<string, string> {
	const raw = env[name];
	if (!raw) return {};
	const pairs = raw.split(/[,\s]+/).filter(Boolean);
	const invalid = pairs.filter((pair) => !/^[A-Z0-9_]+=/.test(pair));
	if (invalid.length > 0) throw new Error(`${name}: expected NAME=value pairs, got ${invalid.join(", ")}`);
	return Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
}

function approachesFrom(env: NodeJS.ProcessEnv): ApproachKey[] {
	const raw = env.BENCH_APPROACHES;
	if (!raw) return ALL_APPROACHES;
	const names = raw.split(",").map((part) => part.trim());
	const unknown = names.filter((name) => !ALL_APPROACHES.includes(name as ApproachKey));
	if (unknown.length > 0)
		throw new Error(`BENCH_APPROACHES: unknown ${unknown.join(", ")} (known: ${ALL_APPROACHES.join(", ")})`);
	return names as ApproachKey[];
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
	return {
		seconds: numberFrom(env, "BENCH_SECONDS", 10),
		warmupSeconds: numberFrom(env, "BENCH_WARMUP_SECONDS", 2),
		inflight: listFrom(env, "BENCH_INFLIGHT", [50, 200, 1000]),
		approaches: approachesFrom(env),
		httpInflight: numberFrom(env, "BENCH_HTTP_INFLIGHT", 200),
		sellOut: {
			stock: numberFrom(env, "BENCH_SELLOUT_STOCK", 1000),
			requests: numberFrom(env, "BENCH_SELLOUT_REQUESTS", 5000),
			inflight: numberFrom(env, "BENCH_SELLOUT_INFLIGHT", 200),
		},
		stock: numberFrom(env, "BENCH_STOCK", 10_000_000),
		databaseUrl: env.BENCH_DATABASE_URL ?? "mysql://shop:shop@127.0.0.1:3306",
		redisUrl: env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379",
		natsUrl: env.BENCH_NATS_URL ?? "nats://127.0.0.1:4222",
		forceDurable: (env.BENCH_DURABLE ?? "1") !== "0",
		mariadbRootSocket: env.BENCH_MARIADB_ROOT_SOCKET ?? localMariadbSocket(env),
		cpuProfileDir: env.BENCH_CPU_PROF_DIR ?? "",
		inventoryEnv: assignmentsFrom(env, "BENCH_INVENTORY_ENV"),
		jsonOut: env.BENCH_JSON_OUT ?? "",
		resultsFile: env.BENCH_RESULTS_FILE ?? runOutputFile("inventory"),
	};
}
