/**
 * Where the machine's CPU went during the load: the load generator itself, the shop's nodes (named by
 * `LOAD_WATCH_PIDS="edge=123,shop=456"`, as `npm run load:cluster` passes them), MariaDB, Redis, NATS
 * and Kafka when they run here, interrupts, steal and everything else. On a 2-core box the generator
 * shares the cores with what it measures: this says how much it took.
 */
import os from "node:os";
import { kafkaProcess } from "../bench/checkout/cluster";
import { CpuMeter, type CpuSnapshot, infraProcesses, type WatchedProcess } from "../bench/support/cpu-meter";

export interface CpuAccount {
	/** Cores' worth of work the machine did while the load ran, of `cores`. */
	busyCores: number;
	cores: number;
	/** CPU milliseconds per answered request, by process (and interrupts, steal, other). */
	msPerRequest: Record<string, number>;
}

function watchedFromEnv(): WatchedProcess[] {
	return (process.env.LOAD_WATCH_PIDS ?? "")
		.split(",")
		.filter(Boolean)
		.map((entry) => {
			const [name = "", pid = ""] = entry.split("=");
			return { name: `${name} node`, pid: Number(pid) };
		})
		.filter((watched) => watched.name && Number.isInteger(watched.pid));
}

export function startCpuAccounting(shopNodes: WatchedProcess[] = []): (requests: number) => CpuAccount {
	const kafka = kafkaProcess();
	const meter = new CpuMeter(
		[
			{ name: "load generator", pid: process.pid },
			...shopNodes,
			...watchedFromEnv(),
			...infraProcesses(),
			...(kafka ? [kafka] : []),
		],
		os.availableParallelism(),
	);
	const from: CpuSnapshot = meter.snapshot();
	return (requests) => {
		const usage = meter.usage(from, meter.snapshot());
		const msPerRequest: Record<string, number> = {};
		for (const [name, seconds] of Object.entries(usage.seconds)) {
			msPerRequest[name] = requests ? Math.round(((seconds * 1000) / requests) * 1000) / 1000 : 0;
		}
		return { busyCores: Math.round(usage.busyCores * 100) / 100, cores: usage.cores, msPerRequest };
	};
}
