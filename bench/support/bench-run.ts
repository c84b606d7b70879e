import os from "node:os";
import type { ServiceBroker } from "moleculer";
import type mysql from "mysql2/promise";
import type { ClusterEnv } from "./approaches";
import type { LoadShape } from "./closed-loop";
import { CpuMeter, infraProcesses, type WatchedProcess } from "./cpu-meter";
import type { BenchSettings } from "./settings";

/** What every scenario of one bench run shares. */
export interface BenchRun {
	settings: BenchSettings;
	cluster: ClusterEnv;
	/** Unique per run: part of namespaces, database names and order ids. */
	runId: string;
	/** The load generator's broker. */
	broker: ServiceBroker;
	/** The bench's own database connection (invariant checks, counters). */
	db: mysql.Connection;
}

/** How long to wait for a node to come up before the bench gives up. */
export const STARTUP_TIMEOUT_MS = 60_000;

export function log(line: string): void {
	process.stderr.write(`[bench] ${line}\n`);
}

/** The timed closed loop of a throughput scenario at `inflight` requests in flight. */
export function timedLoad(settings: BenchSettings, inflight: number): LoadShape {
	return { kind: "timed", inflight, warmupMs: settings.warmupSeconds * 1000, durationMs: settings.seconds * 1000 };
}

/** The CPU meter of a scenario: the load generator (this process), the given nodes, and NATS/MariaDB/Redis. */
export function meterFor(nodes: WatchedProcess[]): CpuMeter {
	return new CpuMeter(
		[{ name: "load generator", pid: process.pid }, ...nodes, ...infraProcesses()],
		os.availableParallelism(),
	);
}
