import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { sleep } from "./harness";

const ROOT = path.resolve(__dirname, "../../..");
const ENTRY = path.join(__dirname, "consumer-node.ts");

export interface Exit {
	code: number | null;
	signal: NodeJS.Signals | null;
}

/** consumer-node.ts running as a real, separate node process. */
export class ConsumerProcess {
	private readonly chunks: string[] = [];
	readonly exited: Promise<Exit>;

	private constructor(private readonly child: ChildProcessWithoutNullStreams) {
		child.stdout.on("data", (d: Buffer) => this.chunks.push(d.toString()));
		child.stderr.on("data", (d: Buffer) => this.chunks.push(d.toString()));
		this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
	}

	static start(env: Record<string, string>): ConsumerProcess {
		const child = spawn(process.execPath, ["--import", "tsx", ENTRY], {
			cwd: ROOT,
			env: {
				PATH: process.env.PATH ?? "",
				HOME: process.env.HOME ?? os.tmpdir(),
				NODE_ENV: "test",
				METRICS_ENABLED: "false",
				DATA_DIR: path.join(os.tmpdir(), "shop-events-consumer"),
				...env,
			},
		});
		return new ConsumerProcess(child);
	}

	get pid(): number | undefined {
		return this.child.pid;
	}

	get running(): boolean {
		return this.child.exitCode === null && this.child.signalCode === null;
	}

	text(): string {
		return this.chunks.join("");
	}

	/** The values of the stdout lines `<tag> <value>`. */
	values(tag: string): string[] {
		return [...this.text().matchAll(new RegExp(`^${tag} (\\S+)$`, "gm"))].map((m) => m[1] as string);
	}

	hasLine(line: string): boolean {
		return this.text().split("\n").includes(line);
	}

	async waitForLine(line: string, timeoutMs = 30_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (!this.hasLine(line)) {
			if (!this.running) throw new Error(`consumer exited before "${line}":\n${this.text().slice(-3000)}`);
			if (Date.now() > deadline) throw new Error(`no "${line}" within ${timeoutMs} ms:\n${this.text().slice(-3000)}`);
			await sleep(50);
		}
	}

	/** Sends `signal` (if still running) and resolves with how it ended. */
	async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<Exit> {
		if (this.running) this.child.kill(signal);
		return this.exited;
	}
}
