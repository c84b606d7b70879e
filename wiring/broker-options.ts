import type { BrokerOptions } from "moleculer";
import type { AppConfig } from "../config";
import { eventsMiddlewares } from "../lib/events/channels.middleware";
import { jsonLogFormatter } from "../lib/observability/json-log-formatter";
import { ShopPrometheusReporter } from "../lib/observability/prometheus-reporter";
import { operatorCommands } from "../lib/repl/operator-commands";
import { registerSkuAffinityStrategy } from "../lib/strategies/sku-affinity.strategy";
import { CorrelationMiddleware } from "../middlewares/correlation.middleware";
import { InventoryBatchingMiddleware } from "../middlewares/inventory-batching.middleware";
import "../config/app-config-of";

/** Moleculer broker options for one node, derived from the app config alone. */
export function brokerOptions(config: AppConfig): BrokerOptions {
	// Every node that may call inventory must resolve the strategy its actions name.
	registerSkuAffinityStrategy();
	const { broker } = config;
	const remote = Boolean(config.transporter);
	return {
		namespace: config.namespace,
		nodeID: config.nodeId,
		appConfig: config,
		transporter: remote ? { type: "NATS", options: { url: config.transporter } } : null,
		logger: {
			type: "Console",
			options: {
				level: config.logging.level,
				...(config.logging.format === "json" ? { formatter: jsonLogFormatter } : { formatter: "short" }),
			},
		},
		// `npm run repl`: the shop's operator commands next to Moleculer's own (`stock`, `hot`, `outbox`, ...).
		// (Moleculer's typings say a command gets `string[]`; moleculer-repl passes the parsed object.)
		replOptions: { customCommands: operatorCommands() } as unknown as BrokerOptions["replOptions"],
		requestTimeout: broker.requestTimeoutMs,
		registry: {
			strategy: "RoundRobin",
			// Moleculer's preferLocal picks a local endpoint before asking the strategy, which would let
			// every inventory node act for every SKU. Off, so SkuAffinity decides who owns a SKU.
			preferLocal: false,
		},
		// A SIGKILLed node sends no goodbye; with these values its peers drop it within ~2x the timeout.
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
