/**
 * `npm run load -- <suite> [options]`: prepares the suite's data through the public API, drives the
 * load with a live progress line, checks the suite's invariants and SLO gates, writes
 * `loadtest/reports/<suite>-<timestamp>.json` and `.html`, and exits 0 when every gate and check
 * passed, 1 when one broke (named, with what was measured), 2 when the run itself could not be made.
 */
import { randomBytes } from "node:crypto";
import { cleanUp, cleanUpOnExit } from "../bench/support/cleanup";
import { type Ceiling, measureCeiling } from "./ceiling";
import { type CpuAccount, startCpuAccounting } from "./cpu-accounting";
import { startEmbeddedShop } from "./embedded-shop";
import { DEFAULT_GATES_FILE, evaluateGates, loadGates } from "./gates";
import { operatorToken } from "./identities";
import { type LoadOptions, parseLoadOptions, USAGE, UsageError } from "./options";
import { startProgress } from "./progress-line";
import { Recorder } from "./recorder";
import type { LoadReport } from "./report/load-report";
import { writeReport } from "./report/write-report";
import { runFlows } from "./run-flows";
import { ShopApi } from "./shop-api";
import { SUITES } from "./suites";
import { buildReport, codeCommit, machineRecord } from "./summarize";
import { type WarmupRecord, warmUp, warmupCheck } from "./warm-up";

const log = (line: string) => process.stderr.write(`[load] ${line}\n`);

function verdictLines(report: LoadReport): string[] {
	const lines = [
		`${report.suite}: ${report.totals.requests} requests in ${report.totals.durationS} s (${report.totals.throughputPerS}/s), p50 ${report.latency.p50Ms} ms, p95 ${report.latency.p95Ms} ms, p99 ${report.latency.p99Ms} ms, failed ${(report.totals.failedRate * 100).toFixed(2)} %`,
	];
	for (const step of report.steps) {
		lines.push(
			`  ${step.flow}/${step.step}: ${step.count} answered, p95 ${step.p95Ms} ms, p99 ${step.p99Ms} ms, failed ${step.failed}`,
		);
	}
	for (const check of report.checks)
		lines.push(`  check ${check.passed ? "ok    " : "BROKEN"} ${check.name}: ${check.detail}`);
	for (const gate of report.gates) {
		lines.push(
			`  gate  ${gate.passed ? "ok    " : "BREACH"} ${gate.metric} ${gate.threshold}: measured ${gate.measured ?? "no data"}`,
		);
	}
	return lines;
}

function cpuLine(cpu: CpuAccount): string {
	const parts = Object.entries(cpu.msPerRequest)
		.filter(([, ms]) => ms > 0)
		.sort((a, b) => b[1] - a[1])
		.map(([name, ms]) => `${name} ${ms.toFixed(3)}`);
	return `  CPU: ${cpu.busyCores} of ${cpu.cores} cores busy; ms of CPU per request: ${parts.join(", ")}`;
}

/** The suite's figures against the same-run no-op ceiling. */
function ceilingLine(report: LoadReport, ceiling: Ceiling): string {
	const share = (report.totals.throughputPerS / ceiling.throughputPerS) * 100;
	const times = (value: number | null, base: number) => (value === null ? "-" : `${(value / base).toFixed(1)}x`);
	return `  against the moleculer-web no-op ceiling (${ceiling.throughputPerS}/s, p95 ${ceiling.p95Ms} ms at ${ceiling.connections} connections): throughput ${share.toFixed(1)} %, p50 ${times(report.latency.p50Ms, ceiling.p50Ms)}, p95 ${times(report.latency.p95Ms, ceiling.p95Ms)}, p99 ${times(report.latency.p99Ms, ceiling.p99Ms)}`;
}

async function run(options: LoadOptions): Promise<number> {
	const suite = SUITES[options.suite];
	if (!suite) throw new UsageError(`unknown suite "${options.suite}"`);
	const gates = loadGates(suite.name, options.gateProfile, options.gatesFile ?? DEFAULT_GATES_FILE);
	const durationS = options.requests ? null : (options.durationS ?? suite.defaults.durationS);
	const requests = options.durationS ? null : (options.requests ?? suite.defaults.requests);
	const vus = options.vus ?? suite.defaults.vus;
	const rate = options.rate ?? suite.defaults.rate;
	if (options.warmupS !== null && durationS === null) {
		throw new UsageError(`--warmup is for suites that run for a duration; ${suite.name} runs ${requests} requests`);
	}

	const embedded = options.url ? undefined : await startEmbeddedShop(log);
	const baseUrl = options.url ?? (embedded as { baseUrl: string }).baseUrl;
	const api = new ShopApi(baseUrl);
	const runId = `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;
	const recorder = new Recorder();
	const prepared = await suite.prepare({
		api,
		operator: await operatorToken(api),
		runId,
		vus,
		rate,
		users: options.users,
		requests,
		recorder,
		log,
		extra: options.extra,
	});

	let ceiling: Ceiling | undefined;
	if (options.ceiling) {
		const connections = prepared.flows.reduce((sum, flow) => sum + flow.vus, 0);
		log(`measuring the moleculer-web no-op ceiling with ${connections} connections`);
		ceiling = await measureCeiling(connections);
		log(
			`ceiling: ${ceiling.throughputPerS}/s, p50 ${ceiling.p50Ms} ms, p95 ${ceiling.p95Ms} ms, p99 ${ceiling.p99Ms} ms`,
		);
	}

	log(
		`${suite.name} against ${baseUrl}: ${prepared.flows.map((flow) => `${flow.name} ${flow.vus} users${flow.rate ? ` at ${flow.rate}/s` : ""}`).join(", ")}, ${durationS ? `${durationS} s` : `${requests} requests`}`,
	);
	let warmup: WarmupRecord | undefined;
	if (options.warmupS !== null) {
		log(`warming up for ${options.warmupS} s (reported apart, not gated)`);
		const stopWarmupProgress = startProgress(recorder);
		warmup = await warmUp(baseUrl, prepared.flows, recorder, options.warmupS);
		stopWarmupProgress();
		log(`warm-up: ${warmup.requests} requests, p95 ${warmup.p95Ms} ms, ${warmup.failed} failed`);
	}
	const startedAt = new Date();
	recorder.start();
	const cpuAccount = startCpuAccounting(embedded ? [{ name: "embedded shop", pid: embedded.node.pid }] : []);
	const stopProgress = startProgress(recorder);
	const flows = runFlows(baseUrl, prepared.flows, recorder, { durationS, requests });
	process.once("SIGINT", flows.stop);
	await flows.done;
	stopProgress();
	const measuredS = recorder.elapsedMs() / 1000;
	const cpu = cpuAccount(recorder.samples.length);
	const finishedAt = new Date();

	const checks = [...(warmup ? [warmupCheck(warmup)] : []), ...(await prepared.check())];
	const report = buildReport({
		suite: suite.name,
		startedAt,
		finishedAt,
		durationS: measuredS,
		settings: {
			url: baseUrl,
			target: options.url ? "external" : "embedded",
			gateProfile: options.gateProfile,
			vus,
			rate,
			durationS,
			requests,
			runId,
			commit: codeCommit(),
			...prepared.settings,
			...(ceiling ? { ceiling } : {}),
			...(warmup ? { warmup } : {}),
			cpu,
		},
		machine: machineRecord(),
		recorder,
		checks,
		gates: evaluateGates(gates, recorder),
	});
	const written = writeReport(report, options.reportDir);
	for (const line of verdictLines(report)) process.stdout.write(`${line}\n`);
	process.stdout.write(`${cpuLine(cpu)}\n`);
	if (ceiling) process.stdout.write(`${ceilingLine(report, ceiling)}\n`);
	process.stdout.write(`report: ${written.htmlPath}\n        ${written.jsonPath}\n`);
	if (!report.passed) {
		const broken = [
			...report.checks.filter((check) => !check.passed).map((check) => `check "${check.name}" (${check.detail})`),
			...report.gates
				.filter((gate) => !gate.passed)
				.map((gate) => `gate ${gate.metric} ${gate.threshold} (measured ${gate.measured ?? "no data"})`),
		];
		process.stderr.write(`[load] FAILED: ${broken.join("; ")}\n`);
		return 1;
	}
	return 0;
}

async function main(): Promise<void> {
	cleanUpOnExit();
	let code: number;
	try {
		code = await run(parseLoadOptions(process.argv.slice(2)));
	} catch (err) {
		process.stderr.write(
			err instanceof UsageError
				? `[load] ${err.message}\n${USAGE}\n`
				: `[load] the run failed: ${(err as Error).stack}\n`,
		);
		code = 2;
	}
	await cleanUp();
	process.exit(code);
}

void main();
