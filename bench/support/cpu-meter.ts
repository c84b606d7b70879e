import fs from "node:fs";

/** Linux reports CPU time in clock ticks; 100 per second on every common kernel config. */
const TICKS_PER_SECOND = 100;
/** Infrastructure servers whose CPU a reservation also costs, by their /proc comm name. */
const INFRA_PROCESSES: Record<string, string> = { "nats-server": "NATS", mariadbd: "MariaDB", "redis-server": "Redis" };

export interface WatchedProcess {
	name: string;
	pid: number;
}

/** CPU seconds of the whole machine (all cores) since boot, from /proc/stat. */
interface MachineSeconds {
	busy: number;
	total: number;
	/** Interrupt handling (loopback TCP is processed here), charged to no process. */
	interrupts: number;
	/** Time the hypervisor gave this VM's cores to someone else. */
	steal: number;
}

export interface CpuSnapshot {
	/** CPU seconds (user + system) each watched process has used so far. */
	byProcess: Map<string, number>;
	machine: MachineSeconds;
}

export interface CpuUsage {
	/**
	 * CPU seconds per watched process in the interval, plus "interrupts" (irq + softirq), "steal"
	 * (hypervisor) and "other" (every other process, kernel threads included).
	 */
	seconds: Record<string, number>;
	/** Cores' worth of work the machine did in the interval, and how many cores it has. */
	busyCores: number;
	cores: number;
}

function processSeconds(pid: number): number | undefined {
	try {
		const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
		// Fields after the parenthesised command name; utime and stime are fields 14 and 15.
		const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
		return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
	} catch {
		return undefined;
	}
}

function machineSeconds(): MachineSeconds {
	const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
	const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
		.trim()
		.split(/\s+/)
		.slice(1)
		.map(Number);
	const busy = user + nice + system + irq + softirq + steal;
	return {
		busy: busy / TICKS_PER_SECOND,
		total: (busy + idle + iowait) / TICKS_PER_SECOND,
		interrupts: (irq + softirq) / TICKS_PER_SECOND,
		steal: steal / TICKS_PER_SECOND,
	};
}

/** NATS, MariaDB and Redis server processes running on this machine (found through /proc). */
export function infraProcesses(): WatchedProcess[] {
	const found: WatchedProcess[] = [];
	let pids: string[] = [];
	try {
		pids = fs.readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
	} catch {
		return found; // Not Linux: no per-process figures.
	}
	for (const pid of pids) {
		try {
			const name = INFRA_PROCESSES[fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim()];
			if (name) found.push({ name, pid: Number(pid) });
		} catch {
			// The process ended while we looked.
		}
	}
	return found;
}

/**
 * Measures where the machine's CPU went during an interval: each process of the bench cluster,
 * interrupt handling, hypervisor steal, and "other" for whatever else ran (another job on a shared
 * machine shows up there).
 */
export class CpuMeter {
	constructor(
		private readonly processes: readonly WatchedProcess[],
		private readonly cores: number,
	) {}

	snapshot(): CpuSnapshot {
		const byProcess = new Map<string, number>();
		for (const { name, pid } of this.processes) {
			const seconds = processSeconds(pid);
			if (seconds !== undefined) byProcess.set(name, (byProcess.get(name) ?? 0) + seconds);
		}
		return { byProcess, machine: machineSeconds() };
	}

	usage(from: CpuSnapshot, to: CpuSnapshot): CpuUsage {
		const seconds: Record<string, number> = {};
		let known = 0;
		for (const [name, end] of to.byProcess) {
			const used = end - (from.byProcess.get(name) ?? end);
			seconds[name] = used;
			known += used;
		}
		const busy = to.machine.busy - from.machine.busy;
		seconds.interrupts = to.machine.interrupts - from.machine.interrupts;
		seconds.steal = to.machine.steal - from.machine.steal;
		seconds.other = Math.max(0, busy - known - seconds.interrupts - seconds.steal);
		const elapsedPerCore = (to.machine.total - from.machine.total) / this.cores;
		return { seconds, busyCores: elapsedPerCore > 0 ? busy / elapsedPerCore : 0, cores: this.cores };
	}
}
