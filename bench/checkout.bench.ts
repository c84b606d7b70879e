/**
 * `npm run bench:checkout`: the checkout saga end to end, over HTTP, in cluster mode on this machine:
 * a gateway node (gateway, auth, products), an inventory node and an orders+payments node (the
 * sandbox provider sends its signed webhooks to the gateway over HTTP), on NATS, MariaDB, Redis and
 * Kafka, all in fresh databases and a fresh namespace. In one run:
 *  (a) orders CONFIRMED per second at saturation (a closed loop of N orders in flight), as a share
 *      of the moleculer-web no-op ceiling at the same N;
 *  (b) at a fixed offered rate (open loop), p95 of POST /api/orders and of created -> CONFIRMED;
 *  (c) a flash sale: many one-unit orders for one SKU with little stock, its invariants and the
 *      time until every order ended.
 * Prints the tables and writes them to a file of the run's own under bench/runs/ (bench/CHECKOUT_RESULTS.md
 * is the curated record, never written by a run). Exit code 0 when every invariant
 * held (a missed target does not fail the run), 1 when one broke, 2 when the bench itself failed.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SERVICE_MODULES } from "../services";
import { startCheckoutCluster } from "./checkout/cluster";
import { HttpPool, headerLines } from "./checkout/http-pool";
import { OrderStore } from "./checkout/order-store";
import {
	type CheckoutRun,
	ceilingPhase,
	checkCatalogStock,
	flashPhase,
	latencyPhase,
	saturationPhase,
	waitForProbe,
} from "./checkout/phases";
import { appendResults, type CheckoutResults, evaluateTargets, runSection } from "./checkout/report";
import { readCheckoutSettings } from "./checkout/settings";
import { operatorHeaders, ShopClient, shopperHeaders } from "./checkout/shop-client";
import { BENCH_CALLER_ENV, BENCH_JWT_SECRET, type ClusterEnv } from "./support/approaches";
import { connectBenchDatabase, dropDatabasesWithPrefix, serverFacts } from "./support/bench-database";
import { log, STARTUP_TIMEOUT_MS } from "./support/bench-run";
import { cleanUp, cleanUpOnExit, onCleanup } from "./support/cleanup";
import { CpuMeter, infraProcesses } from "./support/cpu-meter";
import { ensureDurableCommits } from "./support/durable-commits";
import { freePort } from "./support/free-port";
import { startLoadBroker } from "./support/load-broker";
import { loadAverage, machineInfo } from "./support/machine-info";
import { shownPath } from "./support/run-output";
import { retryUntil } from "./support/wait";

/** Units of each (a)/(b) SKU: more than any run sells. */
const SKU_STOCK = 10_000_000;

/** The checkout saga needs the payments service; say so plainly instead of timing out on the probe. */
function assertPaymentsBuilt(): void {
	const file = path.resolve(__dirname, "../services/payments/payments.service.ts");
	if (!fs.existsSync(file) || !SERVICE_MODULES.payments) {
		throw new Error(
			"the payments service is not there yet (services/payments/payments.service.ts and `payments` in services/index.ts): the saga cannot confirm an order without it",
		);
	}
}

async function main(): Promise<number> {
	cleanUpOnExit();
	const settings = readCheckoutSettings();
	assertPaymentsBuilt();
	const started = Date.now();
	const loadAverageBefore = loadAverage();
	const runId = randomUUID().replace(/-/g, "").slice(0, 10);
	const cluster: ClusterEnv = {
		natsUrl: settings.natsUrl,
		databaseUrl: settings.databaseUrl,
		redisUrl: settings.redisUrl,
		dbNamePrefix: `shop_bench_${runId}_`,
		namespace: `bench-co-${runId}`,
	};

	// Undo steps run newest first: children stop, Kafka topics go, the setting is restored, databases are dropped.
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

	// Shoppers of (a) and (b), and the ceiling's callers (it ignores them, but reads the same bytes).
	const shoppers = await shopperHeaders(`sat-${runId}`, settings.users);
	const latencyShoppers = await shopperHeaders(`lat-${runId}`, settings.users);
	const partial: Omit<CheckoutResults, "targets" | "facts" | "settings"> = { checks: [] };

	// The ceiling first, alone on the machine: the cluster is not started yet.
	if (settings.phases.includes("ceiling")) {
		log(`ceiling: moleculer-web no-op at N=${settings.inflight}`);
		partial.ceiling = await ceilingPhase(settings, shoppers);
		log(`ceiling: ${Math.round(partial.ceiling.rate)} requests/s`);
	}

	const port = await freePort();
	const nodes = startCheckoutCluster(cluster, settings, port, runId);
	const broker = await startLoadBroker({
		NODE_ENV: "production",
		JWT_SECRET: BENCH_JWT_SECRET,
		TRANSPORTER: settings.natsUrl,
		NAMESPACE: cluster.namespace,
		LOG_LEVEL: "warn",
		METRICS_ENABLED: "false",
		...BENCH_CALLER_ENV,
	});
	const pool = new HttpPool(new URL(nodes.baseUrl), Math.max(settings.inflight, settings.flashInflight) + 200);
	onCleanup("close HTTP connections", async () => pool.close());
	const shop = new ShopClient(pool, await operatorHeaders());
	const skus = Array.from({ length: settings.skus }, (_, i) => `CO-${runId}-${i}`);

	log("waiting for the gateway and the catalog");
	await retryUntil(
		"gateway",
		async () => {
			const reply = await pool.request("GET", "/api/products?size=1", headerLines());
			if (reply.status !== 200) throw new Error(`HTTP ${reply.status}`);
		},
		{ timeoutMs: STARTUP_TIMEOUT_MS, check: () => nodes.assertRunning() },
	);
	// The first write also waits for auth: the gateway answers 503 (nothing written) until its token check is up.
	await retryUntil("auth", () => shop.createProduct(skus[0] as string, 1000), {
		timeoutMs: STARTUP_TIMEOUT_MS,
		check: () => nodes.assertRunning(),
	});
	for (const [i, sku] of skus.entries()) if (i > 0) await shop.createProduct(sku, 1000 + i);
	await retryUntil("inventory", () => shop.setStock(skus[0] as string, SKU_STOCK), {
		timeoutMs: STARTUP_TIMEOUT_MS,
		check: () => nodes.assertRunning(),
	});
	for (const sku of skus.slice(1)) await shop.setStock(sku, SKU_STOCK);

	const meter = new CpuMeter(
		[{ name: "load generator", pid: process.pid }, ...nodes.watched, ...infraProcesses()],
		os.availableParallelism(),
	);
	const run: CheckoutRun = {
		settings,
		runId,
		shop,
		store: new OrderStore(db, `${cluster.dbNamePrefix}orders`),
		db,
		broker,
		cluster: nodes,
		meter,
		skus,
		skuStock: SKU_STOCK,
		checks: partial.checks,
	};
	log("waiting for a probe order to be CONFIRMED (Kafka consumer groups join late)");
	const probeOrders = await waitForProbe(run);

	if (settings.phases.includes("saturation")) {
		log(`(a) saturation: N=${settings.inflight}, ${settings.warmupSeconds} s warm-up + ${settings.seconds} s`);
		partial.saturation = await saturationPhase(run, shoppers);
		log(`(a) ${Math.round(partial.saturation.confirmedPerSecond)} orders CONFIRMED/s`);
	}
	if (settings.phases.includes("latency")) {
		log(`(b) latency: ${settings.rate} orders/s for ${settings.rateSeconds} s`);
		partial.latency = await latencyPhase(run, latencyShoppers);
		log(
			`(b) p95 POST ${partial.latency.post.p95.toFixed(1)} ms, p95 created -> CONFIRMED ${partial.latency.confirm.p95.toFixed(1)} ms`,
		);
	}
	await checkCatalogStock(run, [`probe-${runId}-`, `sat-${runId}-`, `lat-${runId}-`]);
	if (settings.phases.includes("flash")) {
		partial.flash = await flashPhase(run);
		log(`(c) drained in ${partial.flash.drainSeconds.toFixed(1)} s`);
	}

	const results: CheckoutResults = {
		...partial,
		targets: evaluateTargets(partial),
		facts: {
			runId,
			startedAt: new Date(started).toISOString(),
			durationSeconds: (Date.now() - started) / 1000,
			machine: machineInfo(),
			mariadbVersion: server.version,
			flushLogAtTrxCommit: flush,
			loadAverageBefore,
			loadAverageAfter: loadAverage(),
			redis: settings.redisUrl !== "",
			probeOrders,
		},
		settings: {
			seconds: settings.seconds,
			warmupSeconds: settings.warmupSeconds,
			inflight: settings.inflight,
			rate: settings.rate,
			rateSeconds: settings.rateSeconds,
			flashOrders: settings.flashOrders,
			flashStock: settings.flashStock,
			flashInflight: settings.flashInflight,
			skus: settings.skus,
			users: settings.users,
			nodeEnv: settings.nodeEnv,
			perNodeEnv: settings.perNodeEnv,
		},
	};
	const section = runSection(results);
	process.stdout.write(`\n${section}\n`);
	if (settings.resultsFile) {
		appendResults(settings.resultsFile, section);
		log(`wrote this run's section to ${shownPath(settings.resultsFile)}`);
	}
	if (settings.jsonOut) fs.writeFileSync(settings.jsonOut, `${JSON.stringify(results, null, 2)}\n`);
	return results.checks.every((c) => c.ok) ? 0 : 1;
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
