/**
 * `npm run load:cluster -- <suite> [load options]`: starts the shop as the README's cluster recipe
 * runs it, each part on its own node (edge: gateway, auth, events; shop: users, products, cart, search;
 * inventory; checkout: orders, payments) over NATS, MariaDB, Redis, Kafka and OpenSearch on 127.0.0.1, in a
 * fresh namespace and fresh databases (`shop_bench_<id>_*`, dropped afterwards, with the run's Kafka
 * topics and search indexes), then runs `npm run load -- <suite> --url <edge> --ceiling [options]` against it.
 * Production mode and the shop's defaults, except signups (no per-address limit: a suite signs its
 * shoppers up through the API) and metrics (off: the nodes share one host).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { connectBenchDatabase, dropDatabasesWithPrefix } from "../bench/support/bench-database";
import { ChildNode } from "../bench/support/child-node";
import { cleanUp, cleanUpOnExit, onCleanup } from "../bench/support/cleanup";
import { freePort } from "../bench/support/free-port";
import { fixKafkajsRequestQueue } from "../lib/events/kafkajs-request-queue-fix";
import { removeEventData, underNamespace } from "../test/support/event-stores";
import { localMariadbSocket } from "../test/support/infra";
import { removeSearchIndexes } from "../test/support/search-indexes";

/** As the README's recipe: infra/local's MariaDB through its Unix socket when it is there, else over TCP. */
const LOCAL_MARIADB_SOCKET = localMariadbSocket();
const URLS = {
	nats: process.env.LOAD_NATS_URL ?? "nats://127.0.0.1:4222",
	database:
		process.env.LOAD_DATABASE_URL ??
		(fs.existsSync(LOCAL_MARIADB_SOCKET)
			? `mysql://shop:shop@localhost/?socket=${LOCAL_MARIADB_SOCKET}`
			: "mysql://shop:shop@127.0.0.1:3306"),
	redis: process.env.LOAD_REDIS_URL ?? "redis://127.0.0.1:6379",
	kafka: process.env.LOAD_KAFKA_URL ?? "kafka://127.0.0.1:9092",
	search: process.env.LOAD_SEARCH_URL ?? "http://127.0.0.1:9200",
};
const EXPECTED_SERVICES = [
	"api",
	"auth",
	"events",
	"users",
	"products",
	"cart",
	"search",
	"inventory",
	"orders",
	"payments",
];
const START_TIMEOUT_MS = 180_000;
const log = (line: string) => process.stderr.write(`[load:cluster] ${line}\n`);

async function waitForServices(baseUrl: string, nodes: ChildNode[]): Promise<void> {
	const deadline = Date.now() + START_TIMEOUT_MS;
	for (;;) {
		for (const node of nodes) node.assertRunning();
		try {
			const health = (await (await fetch(`${baseUrl}/api/health`)).json()) as { nodes?: { services: string[] }[] };
			const running = new Set((health.nodes ?? []).flatMap((node) => node.services));
			if (EXPECTED_SERVICES.every((service) => running.has(service))) return;
		} catch {
			// The edge is not listening yet.
		}
		if (Date.now() > deadline) throw new Error("the cluster did not start every service in time");
		await new Promise((resolve) => setTimeout(resolve, 300));
	}
}

function runLoad(args: string[], env: Record<string, string>): Promise<number> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "cli.ts"), ...args], {
			stdio: "inherit",
			env: { ...process.env, ...env },
		});
		child.once("exit", (code) => resolve(code ?? 2));
	});
}

async function main(): Promise<number> {
	const args = process.argv.slice(2);
	if (!args[0] || args[0].startsWith("-")) {
		log("usage: npm run load:cluster -- <suite> [npm run load options]");
		return 2;
	}
	const id = randomBytes(4).toString("hex");
	const prefix = `shop_bench_${id}_`;
	const namespace = `load-${id}`;
	const jwtSecret = randomBytes(32).toString("hex");
	const port = await freePort();
	const baseUrl = `http://127.0.0.1:${port}`;

	const admin = await connectBenchDatabase(URLS.database);
	onCleanup("close the database connection", () => admin.end());
	onCleanup("drop the run's databases", async () => {
		const dropped = await dropDatabasesWithPrefix(admin, prefix);
		log(`dropped ${dropped.length} database(s) of ${prefix}`);
	});
	onCleanup("remove the run's Kafka topics", async () => {
		const removed = await removeEventData(
			{ kafka: URLS.kafka, nats: URLS.nats, redis: URLS.redis },
			underNamespace(namespace),
		);
		log(`removed ${removed.kafkaTopics} Kafka topic(s) of ${namespace}`);
	});
	onCleanup("remove the run's search indexes", async () => {
		const removed = await removeSearchIndexes(URLS.search, (name) => name.startsWith(`${namespace}.`));
		log(`removed ${removed} search index(es) of ${namespace}`);
	});

	const shared = {
		NODE_ENV: "production",
		JWT_SECRET: jwtSecret,
		PAYMENTS_WEBHOOK_SECRET: randomBytes(32).toString("hex"),
		TRANSPORTER: URLS.nats,
		DATABASE_URL: URLS.database,
		DB_NAME_PREFIX: prefix,
		NAMESPACE: namespace,
		REDIS_URL: URLS.redis,
		EVENTS_URL: URLS.kafka,
		METRICS_ENABLED: "false",
		LOG_LEVEL: "warn",
	};
	// LOAD_CPU_PROF_DIR: every node writes a V8 CPU profile there when it stops (read with
	// `node --import tsx bench/cpu-profile-summary.ts <file>`).
	const profileDir = process.env.LOAD_CPU_PROF_DIR;
	const start = (name: string, services: string, extra: Record<string, string> = {}) =>
		ChildNode.start({
			name,
			script: "bin/shop-node.ts",
			env: { ...shared, SERVICES: services, NODE_ID: `load-${name}-${id}`, ...extra },
			nodeFlags: profileDir
				? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${args[0]}-${id}-${name}.cpuprofile`]
				: [],
		});
	log(`starting the cluster (namespace ${namespace}, databases ${prefix}*), edge on ${baseUrl}`);
	// LOAD_INVENTORY_NODES: inventory nodes to start (default 1), e.g. 2 to SIGKILL one mid-sale; their
	// NODE_IDs are load-inventory-<n>-<id> and their pids are printed.
	const inventoryNodes = Number(process.env.LOAD_INVENTORY_NODES ?? 1);
	const named: [string, ChildNode][] = [
		["edge", start("edge", "gateway,auth,events", { HOST: "127.0.0.1", PORT: String(port), RATE_LIMIT_AUTH: "0" })],
		[
			"shop",
			start("shop", "users,products,cart,search", { SEARCH_URL: URLS.search, SEARCH_INDEX: `${namespace}.products` }),
		],
		...Array.from({ length: Math.max(1, inventoryNodes) }, (_, i): [string, ChildNode] => {
			const name = inventoryNodes > 1 ? `inventory-${i + 1}` : "inventory";
			return [name, start(name, "inventory")];
		}),
		["checkout", start("checkout", "orders,payments", { PAYMENTS_WEBHOOK_URL: `${baseUrl}/api/payments/webhook` })],
	];
	await waitForServices(
		baseUrl,
		named.map(([, node]) => node),
	);
	log(`every service is up; nodes: ${named.map(([name, node]) => `${name} pid ${node.pid}`).join(", ")}`);
	return runLoad([args[0], "--url", baseUrl, "--ceiling", ...args.slice(1)], {
		JWT_SECRET: jwtSecret,
		LOAD_WATCH_PIDS: named.map(([name, node]) => `${name}=${node.pid}`).join(","),
	});
}

cleanUpOnExit();
// The topic removal at the end speaks kafkajs: without the fix it warns of a negative timeout.
fixKafkajsRequestQueue();
main()
	.catch((err: Error) => {
		log(`the run failed: ${err.stack ?? err.message}`);
		return 2;
	})
	.then(async (code) => {
		await cleanUp();
		process.exit(code);
	});
