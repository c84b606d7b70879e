import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { uniqueId } from "./test-namespaces";

/** A person at the test provider, by login name (their `sub` there). */
export type ProviderPeople = Record<string, { email: string; email_verified: boolean }>;

const SERVER_SCRIPT = path.join(__dirname, "oidc-provider-server.mjs");

/**
 * The OpenID provider of oidc-provider-server.mjs, in a child process: one client (ours, with
 * `redirectUri`), and the people of `setPeople`, which may change between logins.
 */
export class OidcTestProvider {
	readonly clientId = "shop-test";
	readonly clientSecret = `secret-${uniqueId()}`;
	private readonly accountsFile = path.join(os.tmpdir(), `oidc-people-${uniqueId()}.json`);
	private child: ChildProcessWithoutNullStreams | undefined;
	private stderr = "";
	issuer = "";

	constructor(private readonly redirectUri: string) {}

	setPeople(people: ProviderPeople): void {
		writeFileSync(this.accountsFile, JSON.stringify(people));
	}

	async start(people: ProviderPeople): Promise<void> {
		this.setPeople(people);
		const settings = {
			clientId: this.clientId,
			clientSecret: this.clientSecret,
			redirectUri: this.redirectUri,
			accountsFile: this.accountsFile,
		};
		const child = spawn(process.execPath, [SERVER_SCRIPT], {
			env: { PATH: process.env.PATH ?? "", OIDC_TEST_PROVIDER: JSON.stringify(settings) },
		});
		this.child = child;
		child.stderr.on("data", (d: Buffer) => {
			this.stderr += d.toString();
		});
		this.issuer = await new Promise<string>((resolve, reject) => {
			let out = "";
			const timer = setTimeout(() => reject(new Error(`provider did not start:\n${this.stderr}`)), 15_000);
			child.stdout.on("data", (d: Buffer) => {
				out += d.toString();
				const line = out.split("\n").find((l) => l.startsWith("{"));
				if (!line) return;
				clearTimeout(timer);
				resolve((JSON.parse(line) as { issuer: string }).issuer);
			});
			child.once("exit", (code) => {
				clearTimeout(timer);
				reject(new Error(`provider exited (${code}):\n${this.stderr}`));
			});
		});
	}

	/** Stops the provider and waits for its exit: its port then refuses connections. */
	async stop(): Promise<void> {
		const child = this.child;
		if (child && child.exitCode === null && child.signalCode === null) {
			const exited = new Promise((resolve) => child.once("exit", resolve));
			child.kill("SIGTERM");
			await exited;
		}
		rmSync(this.accountsFile, { force: true });
	}
}

/** A port the OS hands out as free now (for a server whose address must be known before it starts). */
export async function freePort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as net.AddressInfo;
	await new Promise((resolve) => server.close(resolve));
	return port;
}

/**
 * A browser as far as a login needs one: follows redirects itself (each hop visible), keeps cookies,
 * and submits the provider's login and consent forms. One instance is one browser profile.
 */
export class LoginBrowser {
	private readonly cookies = new Map<string, string>();
	/** Every URL requested, in order. */
	readonly visited: string[] = [];

	async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
		this.visited.push(url);
		const headers: Record<string, string> = {};
		if (this.cookies.size) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
		if (init.form) headers["content-type"] = "application/x-www-form-urlencoded";
		const res = await fetch(url, {
			method: init.method ?? "GET",
			headers,
			body: init.form ? new URLSearchParams(init.form).toString() : undefined,
			redirect: "manual",
		});
		for (const cookie of res.headers.getSetCookie()) {
			const [pair = "", ...attributes] = cookie.split(";");
			const name = pair.slice(0, pair.indexOf("="));
			const expired = attributes.some((a) => /^\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(a));
			if (expired) this.cookies.delete(name);
			else this.cookies.set(name, pair.slice(name.length + 1));
		}
		return res;
	}

	/**
	 * Follows redirects from `url` until a page that is not one: at the provider, its login form is filled
	 * with `login` and its consent form agreed to (or, with `decline`, the interaction aborted); anywhere
	 * else (our callback) the page is returned with its URL.
	 */
	async loginAt(
		url: string,
		login: string,
		options: { decline?: boolean } = {},
	): Promise<{ res: Response; url: string }> {
		let next: { url: string; method?: string; form?: Record<string, string> } = { url };
		for (let hop = 0; hop < 20; hop++) {
			const res = await this.request(next.url, next);
			const location = res.headers.get("location");
			if (res.status >= 300 && res.status < 400 && location) {
				next = { url: new URL(location, next.url).href };
				continue;
			}
			const html = res.headers.get("content-type")?.includes("text/html") ? await res.text() : "";
			const action = html.match(/<form[^>]*action="([^"]+)"/)?.[1];
			const prompt = html.match(/name="prompt" value="(\w+)"/)?.[1];
			if (!action || !prompt) return { res, url: next.url };
			const submitUrl = new URL(action.replaceAll("&amp;", "&"), next.url).href;
			if (options.decline) next = { url: `${submitUrl}/abort` };
			else if (prompt === "login") next = { url: submitUrl, method: "POST", form: { prompt, login, password: "any" } };
			else next = { url: submitUrl, method: "POST", form: { prompt } };
		}
		throw new Error(`no end to the redirects: ${this.visited.join(" -> ")}`);
	}
}
