import path from "node:path";
import type { BrokerOptions } from "moleculer";
import type { AppConfig } from "../config";
import { CoalescingNatsTransporter } from "../lib/cluster/coalescing-nats-transporter";
import { PreciseHeartbeatDiscoverer } from "../lib/cluster/precise-heartbeat-discoverer";
import { eventsMiddlewares } from "../lib/events/channels.middleware";
import { jsonLogFormatter } from "../lib/observability/json-log-formatter";
import { chooseLogFormat, type LogOutput, useColours } from "../lib/observability/log-format";
import { ShopPrometheusReporter } from "../lib/observability/prometheus-reporter";
import { textLogFormatter } from "../lib/observability/text-log-formatter";
import { operatorCommands } from "../lib/repl/operator-commands";
import { CorrelationMiddleware } from "../middlewares/correlation.middleware";
import { InventoryBatchingMiddleware } from "../services/inventory/caller/inventory-batching.middleware";
import { registerSkuAffinityStrategy } from "../services/inventory/caller/sku-affinity.strategy";
import { catalogCacher } from "../services/products/catalog-cache";
import "../config/app-config-of";

/**
 * The node's log. On the console, unless the node runs the REPL (`bin/shop-node.ts --repl`): then the
 * console shows warnings and errors only, between the operator's commands and their answers, and the
 * full log (LOG_LEVEL) goes to `<DATA_DIR>/logs/<nodeID>-<date>.log`. LOG_FORMAT `auto` writes coloured
 * text lines to a terminal and JSON lines anywhere else (lib/observability/log-format.ts); the file gets JSON
 * unless LOG_FORMAT is `text`.
 */
export function loggerOptions(
	config: AppConfig,
	repl: boolean,
	output: LogOutput = { isTTY: process.stdout.isTTY, env: process.env },
): BrokerOptions["logger"] {
	const consoleWritesJson = chooseLogFormat(config.logging.format, output) === "json";
	const consoleFormatter = consoleWritesJson ? jsonLogFormatter : textLogFormatter(useColours(output));
	const onConsole = (level: string) => ({ type: "Console", options: { level, formatter: consoleFormatter } });
	if (!repl) return onConsole(config.logging.level);
	return [
		onConsole("warn"),
		{
			type: "File",
			options: {
				level: config.logging.level,
				formatter: config.logging.format === "text" ? textLogFormatter(false) : jsonLogFormatter,
				folder: path.join(config.dataDir, "logs"),
				filename: "{nodeID}-{date}.log",
			},
		},
	] as BrokerOptions["logger"];
}

/** The NATS transporter: by default one that writes a turn's packets together (`NATS_COALESCE_WRITES`). */
function natsTransporter(config: AppConfig): BrokerOptions["transporter"] {
	const options = { url: config.transporter };
	return config.broker.coalesceNatsWrites ? new CoalescingNatsTransporter(options) : { type: "NATS", options };
}

/**
 * Moleculer broker options for one node, derived from the app config alone (and whether the node runs
 * the REPL, which `bin/shop-node.ts` decides from its `--repl` argument).
 */
export function brokerOptions(
	config: AppConfig,
	{ repl = process.argv.includes("--repl") }: { repl?: boolean } = {},
): BrokerOptions {
	// Every node that may call inventory must resolve the strategy its actions name.
	registerSkuAffinityStrategy();
	const { broker } = config;
	const remote = Boolean(config.transporter);
	return {
		namespace: config.namespace,
		nodeID: config.nodeId,
		appConfig: config,
		transporter: remote ? natsTransporter(config) : null,
		logger: loggerOptions(config, repl),
		// `npm run repl`: the shop's operator commands next to Moleculer's own (`stock`, `hot`, `outbox`, ...).
		// (Moleculer's typings say a command gets `string[]`; moleculer-repl passes the parsed object.)
		replOptions: { customCommands: operatorCommands() } as unknown as BrokerOptions["replOptions"],
		requestTimeout: broker.requestTimeoutMs,
		cacher: catalogCacher(config),
		registry: {
			strategy: "RoundRobin",
			// Moleculer's preferLocal picks a local endpoint before asking the strategy, which would let
			// every inventory node act for every SKU. Off, so SkuAffinity decides who owns a SKU.
			preferLocal: false,
			// A SIGKILLed node sends no goodbye: its peers drop it HEARTBEAT_TIMEOUT_S (+ a check period)
			// after its last heartbeat, rejecting the calls pending on it and routing new ones elsewhere.
			discoverer: new PreciseHeartbeatDiscoverer({
				intervalMs: broker.heartbeatIntervalS * 1000,
				timeoutMs: broker.heartbeatTimeoutS * 1000,
			}),
		},
		heartbeatInterval: broker.heartbeatIntervalS,
		heartbeatTimeout: broker.heartbeatTimeoutS,
		retryPolicy: {
			enabled: broker.retryAttempts > 0,
			retries: broker.retryAttempts,
			delay: 100,
			maxDelay: 1000,
			factor: 2,
			check: (err: Error) => Boolean((err as { retryable?: boolean }).retryable),
		},
		circuitBreaker: {
			enabled: remote,
			threshold: broker.circuitBreaker.threshold,
			minRequestCount: broker.circuitBreaker.minRequestCount,
			windowTime: broker.circuitBreaker.windowTimeS,
			halfOpenTime: broker.circuitBreaker.halfOpenTimeS * 1000,
			// Client errors (4xx) say nothing about the health of the callee.
			check: (err: Error) => ((err as { code?: number }).code ?? 500) >= 500,
		},
		bulkhead: {
			enabled: true,
			concurrency: broker.bulkhead.concurrency,
			maxQueueSize: broker.bulkhead.maxQueueSize,
		},
		// Moleculer takes a reporter instance; its typings list only the built-in reporter names.
		metrics: {
			enabled: config.metrics.enabled,
			reporter: config.metrics.enabled
				? [new ShopPrometheusReporter({ host: config.metrics.host, port: config.metrics.port })]
				: [],
		} as unknown as BrokerOptions["metrics"],
		tracing: {
			enabled: Boolean(config.tracing.zipkinUrl),
			exporter: config.tracing.zipkinUrl ? [{ type: "Zipkin", options: { baseURL: config.tracing.zipkinUrl } }] : [],
		},
		middlewares: [
			CorrelationMiddleware(),
			InventoryBatchingMiddleware({
				enabled: config.inventory.callBatching,
				maxBatch: config.inventory.callBatchMax,
			}),
			...eventsMiddlewares(config),
		],
	};
}
