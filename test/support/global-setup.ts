import { execFileSync } from "node:child_process";
import path from "node:path";
import { removeEventData } from "./event-stores";
import { infra } from "./infra";
import { removeSearchIndexes } from "./search-indexes";
import { dropStaleTestDatabases } from "./stale-test-databases";
import { answersTcp } from "./tcp";
import { currentRun, ofStaleRuns } from "./test-namespaces";

function answers(url: string): Promise<boolean> {
	const { hostname, port } = new URL(url.replace(/^kafka:/, "http:"));
	return answersTcp(hostname, Number(port));
}

/**
 * Reuses infrastructure that already answers; otherwise brings the missing pieces up with
 * `infra/local/infra up`, which waits for readiness and fails naming what did not start. Then removes
 * what runs that crashed or ended long ago left behind, and fixes this run's tag for every worker.
 */
export default async function globalSetup(): Promise<void> {
	const run = currentRun();
	const wanted = {
		mariadb: infra.databaseUrl,
		redis: infra.redisUrl,
		nats: infra.natsUrl,
		kafka: infra.kafkaUrl,
		opensearch: infra.searchUrl,
		mailpit: infra.smtpUrl,
	};
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
	const removed = await removeEventData({ kafka: infra.kafkaUrl, nats: infra.natsUrl, redis: infra.redisUrl }, (name) =>
		ofStaleRuns(name),
	);
	if (removed.kafkaTopics + removed.jetstreamStreams + removed.redisKeys > 0) {
		process.stdout.write(
			`\n[test] removed what earlier runs left: ${removed.kafkaTopics} Kafka topic(s), ${removed.jetstreamStreams} JetStream stream(s), ${removed.redisKeys} Redis key(s)\n`,
		);
	}
	const indexes = await removeSearchIndexes(infra.searchUrl, (name) => ofStaleRuns(name));
	if (indexes > 0) process.stdout.write(`\n[test] removed ${indexes} search index(es) earlier runs left\n`);
	process.stdout.write(`[test] run ${run}\n`);
}
