import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";

const DEBIAN_CHROMIUM = "/usr/bin/chromium";
const REPO_ROOT = path.resolve(__dirname, "../..");

/**
 * Headless Chromium for browser tests: `CHROMIUM_PATH` if set, else Debian's `chromium`, which is
 * installed on first use (`infra/local/infra up chromium`) so a fresh CI machine needs no setup step.
 * `--no-sandbox` because tests run as root, where Chromium's sandbox refuses to start.
 */
export async function launchChromium(): Promise<Browser> {
	return chromium.launch({ executablePath: chromiumExecutable(), args: ["--no-sandbox"] });
}

function chromiumExecutable(): string {
	const configured = process.env.CHROMIUM_PATH;
	if (configured) {
		if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH is ${configured}, which does not exist`);
		return configured;
	}
	if (!existsSync(DEBIAN_CHROMIUM)) {
		process.stdout.write(`\n[test] ${DEBIAN_CHROMIUM} is missing: installing it with infra/local\n`);
		execFileSync("bash", ["infra/local/infra", "up", "chromium"], {
			cwd: REPO_ROOT,
			stdio: "inherit",
			timeout: 15 * 60_000,
		});
		if (!existsSync(DEBIAN_CHROMIUM)) {
			throw new Error(`infra/local/infra up chromium finished but ${DEBIAN_CHROMIUM} is still missing`);
		}
	}
	return DEBIAN_CHROMIUM;
}
