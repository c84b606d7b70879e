import { execFileSync } from "node:child_process";
import path from "node:path";
import { infra } from "./infra";
import { dropStaleTestDatabases } from "./stale-test-databases";
import { answersTcp } from "./tcp";

function answers(url: string): Promise<boolean> {
	const { hostname, port } = new URL(url.replace(/^kafka:/, "http:"));
	return answersTcp(hostname, Number(port));
}

/**
 * Reuses infrastructure that already answers; otherwise brings the missing pieces up with
 * `infra/local/infra up`, which waits for readiness and fails naming what did not start.
 */
export default async function globalSetup(): Promise<void> {
	const wanted = { mariadb: infra.databaseUrl, redis: infra.redisUrl, nats: infra.natsUrl, kafka: infra.kafkaUrl };
	const missing: string[] = [];
	for (const [name, url] of Object.entries(wanted)) {
		if (!(await answers(url))) missing.push(name);
	}
	if (missing.length > 0) {
		const script = path.resolve(__dirname, "../../infra/local/infra");
		process.stdout.write(`\n[test] starting ${missing.join(", ")} with infra/local\n`);
		execFileSync("bash", [script, "up", ...missing], { stdio: "inherit", timeout: 15 * 60_000 });
	}
	const dropped = await dropStaleTestDatabases();
	if (dropped > 0) process.stdout.write(`\n[test] dropped ${dropped} database(s) left by earlier runs\n`);
}
