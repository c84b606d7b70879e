/**
 * Without `--url` a run starts the embedded shop itself (`npm start`'s node: one process, SQLite under
 * a temporary DATA_DIR, removed afterwards), so `npm run load -- flash-sale` works on a fresh clone.
 * Signups are not rate-limited on it: a suite signs its shoppers up through the API.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ChildNode } from "../bench/support/child-node";
import { onCleanup } from "../bench/support/cleanup";
import { freePort } from "../bench/support/free-port";

const START_TIMEOUT_MS = 180_000;

export interface EmbeddedShop {
	baseUrl: string;
	node: ChildNode;
}

async function healthy(baseUrl: string): Promise<boolean> {
	try {
		const response = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(2_000) });
		return response.status === 200;
	} catch {
		return false;
	}
}

export async function startEmbeddedShop(log: (line: string) => void): Promise<EmbeddedShop> {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-load-"));
	onCleanup("remove the embedded shop's data", async () => fs.rmSync(dataDir, { recursive: true, force: true }));
	const port = await freePort();
	const baseUrl = `http://127.0.0.1:${port}`;
	log(`starting the embedded shop on ${baseUrl} (DATA_DIR ${dataDir})`);
	const node = ChildNode.start({
		name: "embedded shop",
		script: "bin/shop-node.ts",
		env: {
			HOST: "127.0.0.1",
			PORT: String(port),
			DATA_DIR: dataDir,
			RATE_LIMIT_AUTH: "0",
			LOG_LEVEL: "warn",
			...(process.env.JWT_SECRET ? { JWT_SECRET: process.env.JWT_SECRET } : {}),
		},
	});
	const deadline = Date.now() + START_TIMEOUT_MS;
	while (!(await healthy(baseUrl))) {
		node.assertRunning();
		if (Date.now() > deadline) throw new Error(`the embedded shop did not become healthy:\n${node.output()}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
	return { baseUrl, node };
}
