import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { onCleanup } from "./cleanup";

const ROOT = path.resolve(__dirname, "../..");
/** Lines of a child's output kept to explain a failure. */
const KEPT_LINES = 200;
const STOP_GRACE_MS = 10_000;

export interface ChildNodeOptions {
	/** A label for messages ("inventory", "gateway", ...). */
	name: string;
	/** The entry script, relative to the repository root. */
	script: string;
	env: Record<string, string>;
	/** Extra node flags, e.g. --cpu-prof. */
	nodeFlags?: string[];
}

/** A node process of the shop (or a bench baseline) started as `npm start` would start it. */
export class ChildNode {
	private readonly lines: string[] = [];
	private readonly exited: Promise<number | null>;
	readonly stop: () => Promise<void>;

	private constructor(
		readonly name: string,
		private readonly child: ChildProcess,
	) {
		const keep = (chunk: Buffer) => {
			this.lines.push(...chunk.toString().split("\n").filter(Boolean));
			if (this.lines.length > KEPT_LINES) this.lines.splice(0, this.lines.length - KEPT_LINES);
		};
		child.stdout?.on("data", keep);
		child.stderr?.on("data", keep);
		this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
		this.stop = onCleanup(`stop ${name}`, () => this.terminate());
	}

	static start(options: ChildNodeOptions): ChildNode {
		const child = spawn(process.execPath, [...(options.nodeFlags ?? []), "--import", "tsx", options.script], {
			cwd: ROOT,
			env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...options.env },
			stdio: ["ignore", "pipe", "pipe"],
		});
		return new ChildNode(options.name, child);
	}

	get pid(): number {
		return this.child.pid ?? -1;
	}

	get running(): boolean {
		return this.child.exitCode === null && this.child.signalCode === null;
	}

	/** The last lines the process printed, to explain why it failed. */
	output(): string {
		return this.lines.join("\n");
	}

	/** Fails fast with the child's output when it died (e.g. a bad config) instead of timing out. */
	assertRunning(): void {
		if (!this.running) throw new Error(`${this.name} node exited (${this.child.exitCode}):\n${this.output()}`);
	}

	/** SIGTERM (a graceful stop, which also writes a --cpu-prof profile), SIGKILL after a grace period. */
	private async terminate(): Promise<void> {
		if (!this.running) return;
		this.child.kill("SIGTERM");
		const timer = setTimeout(() => this.child.kill("SIGKILL"), STOP_GRACE_MS);
		await this.exited;
		clearTimeout(timer);
	}
}
