import fs from "node:fs";
import os from "node:os";

export interface MachineInfo {
	cpus: number;
	cpuModel: string;
	memoryGiB: number;
	node: string;
	kernel: string;
}

function cpuModel(): string {
	try {
		const match = fs.readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m);
		if (match?.[1]) return match[1].trim();
	} catch {
		// Not Linux: fall back to what Node reports.
	}
	return os.cpus()[0]?.model ?? "unknown";
}

export function machineInfo(): MachineInfo {
	return {
		cpus: os.availableParallelism(),
		cpuModel: cpuModel(),
		memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
		node: process.version,
		kernel: `${os.type()} ${os.release()}`,
	};
}

/** The 1/5/15-minute load averages, e.g. "1.68 1.29 0.77": how busy the shared machine was. */
export function loadAverage(): string {
	return os
		.loadavg()
		.map((v) => v.toFixed(2))
		.join(" ");
}
