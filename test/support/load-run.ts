import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LoadReport } from "../../loadtest/report/load-report";

const ROOT = path.resolve(__dirname, "../..");

export interface LoadRun {
	code: number | null;
	stdout: string;
	stderr: string;
	report: LoadReport | undefined;
}

/**
 * `npm run load -- <args>` as a user runs it (its own report directory); the report it wrote, if any.
 * `onStderr` sees its progress as it comes (e.g. to act when the load has started).
 */
export function runLoad(
	args: string[],
	env: Record<string, string>,
	onStderr: (all: string) => void = () => {},
): Promise<LoadRun> {
	const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-load-report-"));
	return new Promise((resolve) => {
		const child = spawn(process.execPath, ["--import", "tsx", "loadtest/cli.ts", ...args, "--report-dir", reportDir], {
			cwd: ROOT,
			env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
		});
		let stdout = "";
		let stderr = "";
		child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
		child.stderr.on("data", (d: Buffer) => {
			stderr += d.toString();
			onStderr(stderr);
		});
		child.once("exit", (code) => {
			const json = fs.readdirSync(reportDir).find((name) => name.endsWith(".json"));
			const html = fs.readdirSync(reportDir).find((name) => name.endsWith(".html"));
			const report = json ? (JSON.parse(fs.readFileSync(path.join(reportDir, json), "utf8")) as LoadReport) : undefined;
			if (report && !html) throw new Error("a JSON report without its HTML report");
			resolve({ code, stdout, stderr, report });
		});
	});
}

/** Exit code 0, or the run's output to say why not. */
export function expectSuccess(run: LoadRun): void {
	if (run.code !== 0) throw new Error(`npm run load exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
}

export const gateOf = (report: LoadReport, metric: string) => report.gates.find((g) => g.metric === metric);
