/**
 * Starts one node: the services named in SERVICES (all when empty), on the transport the config
 * names. `--repl` opens the Moleculer REPL on it. Configuration and start-up failures end the
 * process with one line naming the cause and a non-zero exit code. SIGINT/SIGTERM stop it at any
 * moment, its start included (wiring/stop-on-signals.ts).
 */
import type { Server } from "node:http";
import { ServiceBroker } from "moleculer";
import { ConfigError, getConfig } from "../config";
import { brokerOptions } from "../wiring/broker-options";
import { loadServices, selectServices, UnknownServiceError } from "../wiring/service-loader";
import { type SignalStop, stopOnSignals } from "../wiring/stop-on-signals";

function fail(message: string, code: number): never {
	process.stderr.write(`[shop] ${message}\n`);
	process.exit(code);
}

function oneLine(err: unknown): string {
	const e = err as { message?: string; name?: string };
	return (e?.message ?? String(err)).split("\n")[0] ?? "unknown error";
}

/** Once every service of the node has started, say where the gateway (if any) listens. */
function announceGateway(broker: ServiceBroker): void {
	const api = broker.getLocalService("api") as unknown as { server?: Server; settings: { ip: string } } | undefined;
	const address = api?.server?.address();
	if (!api || !address || typeof address !== "object") return;
	broker.logger.info(`Shop ready: http://${api.settings.ip}:${address.port}/api/health`);
}

async function main(): Promise<void> {
	// e.g. the Prometheus reporter's listen error (METRICS_PORT taken) is an unhandled 'error' event.
	process.on("uncaughtException", (err) => fail(`fatal: ${oneLine(err)}`, 1));

	let config: ReturnType<typeof getConfig>;
	let names: string[];
	try {
		config = getConfig();
		names = selectServices(config);
	} catch (err) {
		if (err instanceof ConfigError || err instanceof UnknownServiceError) fail(err.message, 2);
		throw err;
	}

	let signalStop: SignalStop | undefined;
	// Signals are ours (stopOnSignals): Moleculer's own handlers would stop the broker a second time. A start a
	// signal overtook must not end with Moleculer's "started successfully" (SignalStop.finishStart).
	const broker = new ServiceBroker({
		...brokerOptions(config),
		skipProcessEventRegistration: true,
		started: () => signalStop?.finishStart(),
	});
	// Moleculer (and moleculer-web, for a taken port) call fatal() for unrecoverable errors: log the
	// details, then end with our one-line reason instead of a bare stack trace.
	const logFatal = broker.fatal.bind(broker);
	broker.fatal = ((message: string, err?: Error) => {
		logFatal(message, err, false);
		fail(`failed to start node ${config.nodeId}: ${message} ${err ? oneLine(err) : ""}`.trim(), 1);
	}) as typeof broker.fatal;
	loadServices(broker, config, names);
	// Before the start: a node stopped while it starts must stop too (and hand back its Kafka partitions).
	signalStop = stopOnSignals(broker, fail);

	try {
		await broker.start();
	} catch (err) {
		// A start cut short by a stop fails in many ways (finishStart, or a service the stop overtook); the stop
		// under way, which said so, ends the process.
		if (signalStop.requested) return;
		await broker.stop().catch(() => undefined);
		fail(`failed to start node ${config.nodeId}: ${oneLine(err)}`, 1);
	}
	if (signalStop.requested) return;

	announceGateway(broker);

	if (process.argv.includes("--repl")) broker.repl();
}

main().catch((err) => fail(`unexpected failure: ${oneLine(err)}`, 1));
