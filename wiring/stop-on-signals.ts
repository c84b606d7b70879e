import type { ServiceBroker } from "moleculer";

/**
 * Longest a stop may take before the process ends anyway. A clean stop leaves each Kafka group after
 * its consumer's current fetch (at most 5 s) or, for a consumer still joining, after the join (as long
 * as the group's slowest member takes to rejoin), so seconds; past this bound something hangs, and
 * a node that never ends keeps its Kafka partitions until its session times out.
 */
export const STOP_TIMEOUT_MS = 30_000;

/** Ends a start that a signal overtook (see `SignalStop.finishStart`); the stop under way ends the process. */
export class StartCutShortError extends Error {
	constructor(readonly signal: NodeJS.Signals) {
		super(`start cut short by ${signal}: stopping`);
		this.name = "StartCutShortError";
	}
}

export interface SignalStop {
	/** A SIGINT or SIGTERM arrived: the process ends once the broker has stopped. */
	readonly requested: boolean;
	/**
	 * For the broker's `started` option, the last step of `broker.start()` before Moleculer logs "ServiceBroker
	 * with N service(s) started successfully": marks the start finished, or, if a signal came first, throws
	 * `StartCutShortError` so that the start rejects and that line, untrue by then, is never written. The option
	 * is Moleculer's own hook for this moment; filtering its logger for one message, or patching it, would
	 * depend on the wording and the internals of a later version.
	 */
	finishStart(): void;
}

/**
 * Stops the node on SIGINT/SIGTERM, at any moment, including while `broker.start()` is still under
 * way: a signal during the start stops the services (and their Kafka consumers) that started, and
 * the adapters refuse to subscribe what had not yet. The broker must be created with
 * `skipProcessEventRegistration`, or Moleculer's own handlers would stop it a second time at once.
 * A signal before the start finished is logged as "start cut short by <signal>: stopping" (the stop may end
 * the process before the start gives up). Exits 0 after a clean stop; 1 if it took longer than `timeoutMs`, or
 * on a second signal.
 */
export function stopOnSignals(
	broker: ServiceBroker,
	fail: (message: string, code: number) => never,
	timeoutMs = STOP_TIMEOUT_MS,
): SignalStop {
	let signalled: NodeJS.Signals | undefined;
	let startFinished = false;
	const stop = async (signal: NodeJS.Signals) => {
		if (signalled) fail(`${signal} received again while stopping: exiting now`, 1);
		signalled = signal;
		broker.logger.info(startFinished ? `${signal} received, stopping` : new StartCutShortError(signal).message);
		setTimeout(() => fail(`node did not stop within ${timeoutMs / 1000} s of ${signal}: exiting`, 1), timeoutMs);
		await broker.stop();
		process.exit(0);
	};
	process.on("SIGINT", () => void stop("SIGINT"));
	process.on("SIGTERM", () => void stop("SIGTERM"));
	return {
		get requested() {
			return signalled !== undefined;
		},
		finishStart() {
			if (signalled) throw new StartCutShortError(signalled);
			startFinished = true;
		},
	};
}
