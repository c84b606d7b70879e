/**
 * A private Mailpit (a real SMTP server that keeps what arrives, with an HTTP API to read it) on free
 * ports, so a test can stop it (the mail server is down) and start it again on the same ports. The
 * binary is the one `infra/local/infra up mailpit` builds (the test run's global set-up does that).
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../bench/support/free-port";
import { waitFor } from "./events/harness";
import { answersTcp } from "./tcp";

export const MAILPIT_BIN = path.join(
	process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"),
	"shop-infra",
	"mailpit-1.33.1",
	"mailpit",
);

export interface ArrivedMail {
	ID: string;
	Subject: string;
	/** Without the angle brackets. */
	MessageID: string;
	To: Array<{ Address: string }>;
	Snippet: string;
}

export class PrivateMailpit {
	private child: ChildProcess | null = null;

	private constructor(
		readonly smtpPort: number,
		readonly httpPort: number,
		private readonly dir: string,
	) {}

	static async create(): Promise<PrivateMailpit> {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-mailpit-"));
		return new PrivateMailpit(await freePort(), await freePort(), dir);
	}

	get smtpUrl(): string {
		return `smtp://127.0.0.1:${this.smtpPort}`;
	}

	async start(): Promise<void> {
		this.child = spawn(
			MAILPIT_BIN,
			[
				"--smtp",
				`127.0.0.1:${this.smtpPort}`,
				"--listen",
				`127.0.0.1:${this.httpPort}`,
				"--database",
				path.join(this.dir, "mailpit.db"),
				"--smtp-auth-accept-any",
				"--smtp-auth-allow-insecure",
				"--disable-version-check",
				"--quiet",
			],
			{ stdio: "ignore" },
		);
		await waitFor(
			"Mailpit to answer",
			async () => ((await answersTcp("127.0.0.1", this.smtpPort)) ? true : undefined),
			20_000,
			100,
		);
	}

	/** The mail server goes away: connections to its SMTP port are refused. */
	async stop(): Promise<void> {
		const child = this.child;
		this.child = null;
		if (!child || child.exitCode !== null) return;
		const exited = new Promise((resolve) => child.once("exit", resolve));
		child.kill("SIGTERM");
		await exited;
	}

	async dispose(): Promise<void> {
		await this.stop();
		fs.rmSync(this.dir, { recursive: true, force: true });
	}

	/** The mails that arrived for `to`, newest first. */
	async mailsTo(to: string): Promise<ArrivedMail[]> {
		const res = await fetch(
			`http://127.0.0.1:${this.httpPort}/api/v1/search?query=${encodeURIComponent(`to:"${to}"`)}`,
		);
		if (!res.ok) throw new Error(`Mailpit search answered ${res.status}`);
		return ((await res.json()) as { messages: ArrivedMail[] }).messages;
	}

	/** The plain-text body of a mail. */
	async textOf(id: string): Promise<string> {
		const res = await fetch(`http://127.0.0.1:${this.httpPort}/api/v1/message/${id}`);
		return ((await res.json()) as { Text: string }).Text;
	}
}

export const mailpitAvailable = (): boolean => fs.existsSync(MAILPIT_BIN);
