import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { uniqueId } from "./brokers";

const ROOT = path.resolve(__dirname, "../..");

/** A real node process started the way `npm start` starts one. */
export class NodeProcess {
	readonly output: string[] = [];
	private exited: Promise<number | null>;

	private constructor(readonly child: ChildProcessWithoutNullStreams) {
		child.stdout.on("data", (d: Buffer) => this.output.push(d.toString()));
		child.stderr.on("data", (d: Buffer) => this.output.push(d.toString()));
		this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
	}

	static start(env: Record<string, string>, args: string[] = []): NodeProcess {
		const child = spawn(process.execPath, ["--import", "tsx", "bin/shop-node.ts", ...args], {
			cwd: ROOT,
			env: {
				PATH: process.env.PATH ?? "",
				HOME: process.env.HOME ?? os.tmpdir(),
				LOG_LEVEL: "info",
				METRICS_ENABLED: "false",
				DATA_DIR: path.join(os.tmpdir(), `shop-e2e-${uniqueId()}`),
				...env,
			},
		});
		return new NodeProcess(child);
	}

	text(): string {
		return this.output.join("");
	}

	/** Resolves when the combined output matches `pattern`. */
	async waitForOutput(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const match = this.text().match(pattern);
			if (match) return match;
			if (this.child.exitCode !== null) throw new Error(`process exited (${this.child.exitCode}):\n${this.text()}`);
			if (Date.now() > deadline) throw new Error(`no output matching ${pattern} in ${timeoutMs} ms:\n${this.text()}`);
			await new Promise((r) => setTimeout(r, 100));
		}
	}

	/** Resolves with the exit code (null when killed by a signal). */
	waitForExit(timeoutMs = 60_000): Promise<number | null> {
		return Promise.race([
			this.exited,
			new Promise<never>((_, reject) =>
				setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms:\n${this.text()}`)), timeoutMs).unref(),
			),
		]);
	}

	async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
		if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
		return this.exited;
	}
}

/** The gateway URL a node printed once all its services had started. */
export async function gatewayUrl(node: NodeProcess): Promise<string> {
	const [, url] = (await node.waitForOutput(/Shop ready: (http:\/\/[0-9.]+:\d+)\/api\/health/)) as RegExpMatchArray;
	return url as string;
}
