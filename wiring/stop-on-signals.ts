import type { ServiceBroker } from "moleculer";

/**
 * Longest a stop may take before the process ends anyway. A clean stop leaves each Kafka group after
 * its consumer's current fetch (at most 5 s) or, for a consumer still joining, after the join (as long
 * as the group's slowest member takes to rejoin), so seconds; past this bound something hangs, and
 * a node that never ends keeps its Kafka partitions until its session times out.
 */
export const STOP_TIMEOUT_MS = 30_000;

export interface SignalStop {
	/** A SIGINT or SIGTERM arrived: the process ends once the broker has stopped. */
	readonly requested: boolean;
}

/**
 * Stops the node on SIGINT/SIGTERM, at any moment, including while `broker.start()` is still under
 * way: a signal during the start stops the services (and their Kafka consumers) that started, and
 * the adapters refuse to subscribe what had not yet. The broker must be created with
 * `skipProcessEventRegistration`, or Moleculer's own handlers would stop it a second time at once.
 * Exits 0 after a clean stop; 1 if it took longer than `timeoutMs`, or on a second signal.
 */
export function stopOnSignals(
	broker: ServiceBroker,
	fail: (message: string, code: number) => never,
	timeoutMs = STOP_TIMEOUT_MS,
): SignalStop {
	const state = { requested: false };
	const stop = async (signal: NodeJS.Signals) => {
		if (state.requested) fail(`${signal} received again while stopping: exiting now`, 1);
		state.requested = true;
		broker.logger.info(`${signal} received, stopping`);
		setTimeout(() => fail(`node did not stop within ${timeoutMs / 1000} s of ${signal}: exiting`, 1), timeoutMs);
		await broker.stop();
		process.exit(0);
	};
	process.on("SIGINT", () => void stop("SIGINT"));
	process.on("SIGTERM", () => void stop("SIGTERM"));
	return state;
}
