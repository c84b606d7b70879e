/** Turns a run's samples, checks and gates into the report's numbers. */
import { execFileSync } from "node:child_process";
import os from "node:os";
import { machineInfo } from "../bench/support/machine-info";
import { percentile, summarizeLatencies } from "./percentiles";
import type { Recorder, Sample } from "./recorder";
import type {
	CheckResult,
	GateResult,
	LoadReport,
	LoadSettingsRecord,
	MachineRecord,
	StepSummary,
	TimelinePoint,
} from "./report/load-report";

/** Histogram bucket bounds: 0.5 ms doubling... to ~65 s. */
const BUCKET_BOUNDS = Array.from({ length: 18 }, (_, i) => 0.5 * 2 ** i);

/** The commit of the code that ran the load (`-dirty` with uncommitted changes); "unknown" outside a git checkout. */
export function codeCommit(): string {
	try {
		const git = (...args: string[]) =>
			execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
		const commit = git("rev-parse", "--short", "HEAD").trim();
		return git("status", "--porcelain", "--untracked-files=no").trim() ? `${commit}-dirty` : commit;
	} catch {
		return "unknown";
	}
}

export function machineRecord(): MachineRecord {
	const info = machineInfo();
	return {
		hostname: os.hostname(),
		cpus: info.cpus,
		cpuModel: info.cpuModel,
		memoryGiB: info.memoryGiB,
		node: info.node,
		platform: info.kernel,
		loadAverage: os.loadavg().map((value) => Math.round(value * 100) / 100),
	};
}

function timeline(samples: Sample[], durationS: number): TimelinePoint[] {
	const seconds = Math.max(1, Math.ceil(durationS));
	const buckets: Sample[][] = Array.from({ length: seconds }, () => []);
	for (const sample of samples) buckets[Math.min(seconds - 1, Math.floor(sample.atMs / 1000))]?.push(sample);
	return buckets.map((bucket, t) => {
		const latencies = Float64Array.from(
			bucket.filter((sample) => sample.status !== 0),
			(sample) => sample.latencyMs,
		).sort();
		const at = (p: number) => {
			const value = percentile(latencies, p);
			return value === null ? null : Math.round(value * 100) / 100;
		};
		return {
			t,
			requests: bucket.length,
			failed: bucket.filter((sample) => !sample.ok).length,
			p50Ms: at(50),
			p95Ms: at(95),
			p99Ms: at(99),
		};
	});
}

function histogram(samples: Sample[]) {
	const counts = BUCKET_BOUNDS.map((upToMs) => ({ upToMs, count: 0 }));
	for (const sample of samples) {
		if (sample.status === 0) continue;
		const bucket = counts.find((entry) => sample.latencyMs <= entry.upToMs) ?? counts[counts.length - 1];
		if (bucket) bucket.count++;
	}
	return counts;
}

function groupBy(samples: Sample[], key: (sample: Sample) => string): Map<string, Sample[]> {
	const groups = new Map<string, Sample[]>();
	for (const sample of samples) {
		const name = key(sample);
		const group = groups.get(name);
		if (group) group.push(sample);
		else groups.set(name, [sample]);
	}
	return groups;
}

function steps(samples: Sample[]): StepSummary[] {
	const groups = groupBy(samples, (sample) => `${sample.flow}\u0000${sample.step}`);
	return [...groups.entries()].map(([key, group]) => {
		const [flow = "", step = ""] = key.split("\u0000");
		const answered = group.filter((sample) => sample.status !== 0).map((sample) => sample.latencyMs);
		return { flow, step, ...summarizeLatencies(answered), failed: group.filter((sample) => !sample.ok).length };
	});
}

function countBy(samples: Sample[], key: (sample: Sample) => string): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const sample of samples) {
		const name = key(sample);
		if (name) counts[name] = (counts[name] ?? 0) + 1;
	}
	return counts;
}

export function buildReport(input: {
	suite: string;
	startedAt: Date;
	finishedAt: Date;
	durationS: number;
	settings: LoadSettingsRecord;
	machine: MachineRecord;
	recorder: Recorder;
	checks: CheckResult[];
	gates: GateResult[];
}): LoadReport {
	const { samples } = input.recorder;
	const failed = samples.filter((sample) => !sample.ok).length;
	return {
		suite: input.suite,
		startedAt: input.startedAt.toISOString(),
		finishedAt: input.finishedAt.toISOString(),
		settings: input.settings,
		machine: input.machine,
		totals: {
			requests: samples.length,
			durationS: Math.round(input.durationS * 100) / 100,
			throughputPerS: input.durationS > 0 ? Math.round(samples.length / input.durationS) : 0,
			failed,
			failedRate: samples.length ? Math.round((failed / samples.length) * 10_000) / 10_000 : 0,
		},
		latency: summarizeLatencies(samples.filter((sample) => sample.status !== 0).map((sample) => sample.latencyMs)),
		steps: steps(samples),
		timeline: timeline(samples, input.durationS),
		timelineByFlow: Object.fromEntries(
			[...groupBy(samples, (sample) => sample.flow)].map(([flow, group]) => [flow, timeline(group, input.durationS)]),
		),
		histogram: histogram(samples),
		errorsByCode: countBy(samples, (sample) => sample.errorKey),
		statuses: countBy(samples, (sample) => (sample.status === 0 ? "none" : String(sample.status))),
		checks: input.checks,
		gates: input.gates,
		passed: input.checks.every((check) => check.passed) && input.gates.every((gate) => gate.passed),
	};
}
