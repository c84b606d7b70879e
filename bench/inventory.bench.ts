/**
 * `npm run bench:inventory`: reserves one hot SKU as fast as each design allows, all in one run —
 * the actor inventory, a conditional UPDATE per request, a Redis lock per request and a no-op
 * (the transport ceiling) — each in its own node process behind the same Moleculer call over NATS,
 * plus the actor path through the HTTP gateway (and a bare HTTP server as its ceiling) and a
 * sell-out per design. Checks the database after every scenario, prints the tables and writes them to a
 * file of the run's own under bench/runs/ (bench/RESULTS.md is the curated record, never written by a run).
 * Exit code 1 when an invariant broke; a missed target does not fail the run.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import { benchApproach } from "./scenarios/approach-scenarios";
import { APPROACHES, BENCH_CALLER_ENV, BENCH_JWT_SECRET, type ClusterEnv } from "./support/approaches";
import { connectBenchDatabase, dropDatabasesWithPrefix, serverFacts } from "./support/bench-database";
import { type BenchRun, log } from "./support/bench-run";
import { cleanUp, cleanUpOnExit, onCleanup } from "./support/cleanup";
import { ensureDurableCommits } from "./support/durable-commits";
import { startLoadBroker } from "./support/load-broker";
import { loadAverage, machineInfo } from "./support/machine-info";
import { type RunFacts, resultsDocument, resultsMarkdown } from "./support/report";
import { ensureFolderOf, shownPath } from "./support/run-output";
import type { ScenarioResult } from "./support/scenario";
import { readSettings } from "./support/settings";
import { evaluateTargets } from "./support/targets";

async function main(): Promise<number> {
	cleanUpOnExit();
	const settings = readSettings();
	const startedAt = new Date();
	const loadAverageBefore = loadAverage();
	const runId = randomUUID().replace(/-/g, "").slice(0, 10);
	const cluster: ClusterEnv = {
		natsUrl: settings.natsUrl,
		databaseUrl: settings.databaseUrl,
		redisUrl: settings.redisUrl,
		dbNamePrefix: `shop_bench_${runId}_`,
		namespace: `bench-${runId}`,
	};

	// Undo steps run newest first: children stop, the setting is restored, databases are dropped.
	const db = await connectBenchDatabase(settings.databaseUrl);
	onCleanup("close bench database connection", () => db.end());
	onCleanup("drop bench databases", async () => {
		const dropped = await dropDatabasesWithPrefix(db, cluster.dbNamePrefix);
		log(`dropped ${dropped.length} bench database(s) ${dropped.join(", ")}`);
	});
	const server = await serverFacts(db);
	const flush = settings.forceDurable
		? await ensureDurableCommits(settings.mariadbRootSocket, server.flushLogAtTrxCommit)
		: server.flushLogAtTrxCommit;
	log(
		`run ${runId}: MariaDB ${server.version}, innodb_flush_log_at_trx_commit=${flush}, load average ${loadAverageBefore}`,
	);

	const broker = await startLoadBroker({
		NODE_ENV: "production",
		JWT_SECRET: BENCH_JWT_SECRET,
		TRANSPORTER: settings.natsUrl,
		NAMESPACE: cluster.namespace,
		LOG_LEVEL: "warn",
		METRICS_ENABLED: "false",
		...BENCH_CALLER_ENV,
	});
	const run: BenchRun = { settings, cluster, runId, broker, db };
	const results: ScenarioResult[] = [];
	for (const key of settings.approaches) results.push(...(await benchApproach(run, APPROACHES[key])));

	const targets = evaluateTargets(results);
	const facts: RunFacts = {
		startedAt,
		durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
		machine: machineInfo(),
		mariadbVersion: server.version,
		flushLogAtTrxCommit: flush,
		loadAverageBefore,
		loadAverageAfter: loadAverage(),
		seconds: settings.seconds,
		warmupSeconds: settings.warmupSeconds,
	};
	process.stdout.write(`\n${resultsMarkdown(results, targets)}\n`);
	process.stdout.write(`\nload average ${facts.loadAverageBefore} before, ${facts.loadAverageAfter} after\n`);
	if (settings.resultsFile) {
		ensureFolderOf(settings.resultsFile);
		fs.writeFileSync(settings.resultsFile, resultsDocument(results, targets, facts));
		log(`wrote this run's report to ${shownPath(settings.resultsFile)}`);
	}
	if (settings.jsonOut) fs.writeFileSync(settings.jsonOut, `${JSON.stringify({ facts, results, targets }, null, 2)}\n`);
	return results.every((r) => r.invariant.ok) ? 0 : 1;
}

main()
	.catch((err: Error) => {
		log(`failed: ${err.stack ?? err.message}`);
		return 2;
	})
	.then(async (code) => {
		await cleanUp();
		process.exit(code);
	});
