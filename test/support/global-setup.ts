import { execFileSync } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { infra } from "./infra";

function answers(url: string): Promise<boolean> {
	const { hostname, port } = new URL(url.replace(/^kafka:/, "http:"));
	return new Promise((resolve) => {
		const socket = net.connect({ host: hostname, port: Number(port) });
		socket.setTimeout(1000);
		socket.once("connect", () => {
			socket.destroy();
			resolve(true);
		});
		socket.once("error", () => resolve(false));
		socket.once("timeout", () => {
			socket.destroy();
			resolve(false);
		});
	});
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
	if (missing.length === 0) return;
	const script = path.resolve(__dirname, "../../infra/local/infra");
	process.stdout.write(`\n[test] starting ${missing.join(", ")} with infra/local\n`);
	execFileSync("bash", [script, "up", ...missing], { stdio: "inherit", timeout: 15 * 60_000 });
}
