import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { removeEventData, underNamespace } from "../../test/support/event-stores";
import { type ClusterEnv, nodeEnv } from "../support/approaches";
import { log } from "../support/bench-run";
import { ChildNode } from "../support/child-node";
import { onCleanup } from "../support/cleanup";
import type { WatchedProcess } from "../support/cpu-meter";
import type { CheckoutBenchSettings, NodeKey } from "./settings";

/** The checkout cluster: the edge with auth and the catalog, the inventory, and orders with payments. */
export interface CheckoutCluster {
	gateway: ChildNode;
	inventory: ChildNode;
	checkout: ChildNode;
	baseUrl: string;
	/** The processes whose CPU the bench reads (the nodes and Kafka's JVM). */
	watched: WatchedProcess[];
	assertRunning(): void;
}

/** Signs the sandbox provider's webhooks; production mode refuses the development one. */
const WEBHOOK_SECRET = randomBytes(32).toString("hex");

/** Kafka's broker process (a JVM running kafka.Kafka), found through /proc; undefined when not local. */
export function kafkaProcess(): WatchedProcess | undefined {
	for (const entry of fs.readdirSync("/proc")) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const cmdline = fs.readFileSync(path.join("/proc", entry, "cmdline"), "utf8");
			if (cmdline.includes("kafka.Kafka")) return { name: "Kafka", pid: Number(entry) };
		} catch {
			// The process ended while we looked.
		}
	}
	return undefined;
}

/**
 * Starts the three nodes at once (NATS transporter, MariaDB databases under the run's prefix, Kafka
 * events under the run's namespace, Redis unless BENCH_REDIS_URL is empty) and registers the removal
 * of the run's Kafka topics (and JetStream streams, Redis keys) for the end of the run.
 */
export function startCheckoutCluster(
	cluster: ClusterEnv,
	settings: CheckoutBenchSettings,
	port: number,
	runId: string,
): CheckoutCluster {
	onCleanup("remove the run's Kafka topics", async () => {
		const removed = await removeEventData(
			{ kafka: settings.kafkaUrl, nats: settings.natsUrl, redis: settings.redisUrl || "redis://127.0.0.1:6379" },
			underNamespace(cluster.namespace),
		);
		log(
			`removed ${removed.kafkaTopics} Kafka topic(s), ${removed.jetstreamStreams} stream(s), ${removed.redisKeys} Redis key(s) of ${cluster.namespace}`,
		);
	});
	const baseUrl = `http://127.0.0.1:${port}`;
	const start = (key: NodeKey, services: string, extra: Record<string, string> = {}) => {
		const profiled = settings.cpuProfileDir !== "" && settings.cpuProfileNodes.includes(key);
		return ChildNode.start({
			name: key,
			script: "bin/shop-node.ts",
			env: nodeEnv(cluster, {
				SERVICES: services,
				NODE_ID: `bench-checkout-${key}`,
				EVENTS_URL: settings.kafkaUrl,
				...(settings.redisUrl ? { REDIS_URL: settings.redisUrl } : {}),
				PAYMENTS_WEBHOOK_SECRET: WEBHOOK_SECRET,
				...extra,
				...settings.nodeEnv,
				...settings.perNodeEnv[key],
			}),
			nodeFlags: profiled
				? [
						"--cpu-prof",
						`--cpu-prof-dir=${settings.cpuProfileDir}`,
						`--cpu-prof-name=checkout-${runId}-${key}.cpuprofile`,
					]
				: [],
		});
	};
	const gateway = start("gateway", "gateway,auth,products", { HOST: "127.0.0.1", PORT: String(port) });
	const inventory = start("inventory", "inventory");
	// The sandbox provider delivers its signed webhooks to the gateway, over HTTP, as a real provider would.
	const checkout = start("checkout", "orders,payments", { PAYMENTS_WEBHOOK_URL: `${baseUrl}/api/payments/webhook` });
	const kafka = kafkaProcess();
	return {
		gateway,
		inventory,
		checkout,
		baseUrl,
		watched: [
			{ name: "gateway node", pid: gateway.pid },
			{ name: "inventory node", pid: inventory.pid },
			{ name: "orders+payments node", pid: checkout.pid },
			...(kafka ? [kafka] : []),
		],
		assertRunning() {
			gateway.assertRunning();
			inventory.assertRunning();
			checkout.assertRunning();
		},
	};
}
