import type { AppConfig } from "../../config";
import { type DownstreamLimits, downstreamLimitsOf } from "../../config/gateway-validators";
import { Bulkhead } from "./bulkhead";
import { CircuitBreaker } from "./circuit-breaker";
import { countsAgainst, ServiceFallbackError, serviceOfAction, unreachableServiceOf } from "./service-fallback";

interface Guard {
	service: string;
	breaker: CircuitBreaker;
	bulkhead: Bulkhead;
	/** False from the first fallback answer until a call succeeds again: one log line per outage, not per request. */
	answering: boolean;
}

interface GuardLog {
	warn(...args: unknown[]): void;
	info(...args: unknown[]): void;
}

/** The request as moleculer-web leaves it once routed: the alias names the action. */
interface RoutedRequest {
	$alias?: { action?: unknown } | null;
}

/** Seconds a client is told to wait when nothing better is known: a dropped node is replaced within seconds. */
const DEFAULT_RETRY_AFTER_S = 1;

/**
 * The gateway's breaker and bulkhead per downstream service (their limits from config, see
 * DownstreamLimits), and the fallback answer when a service cannot be used: no live node offers it, its
 * breaker is open, or its bulkhead is full. The timeout is the route's call option (`timeoutMsOf`).
 */
export class DownstreamGuards {
	private readonly guards = new Map<string, Guard>();
	/** Requests whose action call went through `call` (so their breaker has been told how it went). */
	private readonly called = new WeakSet<object>();

	constructor(
		private readonly limitsOf: (service: string) => DownstreamLimits,
		private readonly localNodeID: string,
		private readonly log: GuardLog,
		private readonly now: () => number = Date.now,
	) {}

	/**
	 * Runs `call` (the routed action's call) inside the service's bulkhead and breaker. Refused at once, with
	 * the fallback answer, when the bulkhead and its queue are full or the breaker is open.
	 */
	async call<T>(req: object, action: string, call: () => Promise<T>): Promise<T> {
		const service = serviceOfAction(action);
		if (service === undefined) return call();
		this.called.add(req);
		const guard = this.guardOf(service);
		if (!guard.bulkhead.tryEnter()) {
			const slot = guard.bulkhead.enterWhenFree();
			if (!slot) throw this.fallback(guard, "its bulkhead is full", DEFAULT_RETRY_AFTER_S);
			await slot;
		}
		try {
			const waitMs = guard.breaker.waitMs();
			if (waitMs > 0) throw this.fallback(guard, "its circuit breaker is open", waitMs / 1000);
			let result: T;
			try {
				result = await call();
			} catch (err) {
				if (countsAgainst(err, service)) this.failed(guard);
				else this.succeeded(guard);
				throw err;
			}
			this.succeeded(guard);
			return result;
		} finally {
			guard.bulkhead.leave();
		}
	}

	/**
	 * What the client gets for `err`, a failure of `req`: the fallback answer when a service could not be
	 * reached (see unreachableServiceOf), else `err` itself. When the call did not go through `call` (which
	 * told the breaker already), no node offered the routed action, which counts against its breaker here.
	 */
	answerFor(req: object, err: unknown): unknown {
		const target = serviceOfAction((req as RoutedRequest).$alias?.action);
		const service = unreachableServiceOf(err, target, this.localNodeID);
		if (service === undefined) return err;
		if (service !== target) return ServiceFallbackError.of(service, DEFAULT_RETRY_AFTER_S);
		const guard = this.guardOf(service);
		if (!this.called.has(req)) this.failed(guard);
		return this.fallback(guard, "no live node offers it", guard.breaker.openForMs() / 1000);
	}

	private fallback(guard: Guard, reason: string, retryAfterS: number): ServiceFallbackError {
		if (guard.answering) {
			guard.answering = false;
			this.log.warn(`${guard.service} is unavailable (${reason}): its routes answer 503 SERVICE_UNAVAILABLE`);
		}
		return ServiceFallbackError.of(guard.service, Math.max(DEFAULT_RETRY_AFTER_S, retryAfterS), true);
	}

	private succeeded(guard: Guard): void {
		guard.breaker.succeeded();
		if (!guard.answering && !guard.breaker.isOpen) {
			guard.answering = true;
			this.log.info(`${guard.service} answers again`);
		}
	}

	private failed(guard: Guard): void {
		const wasOpen = guard.breaker.isOpen;
		guard.breaker.failed();
		if (!wasOpen && guard.breaker.isOpen) {
			this.log.warn(
				`Circuit breaker of ${guard.service} opened: calls are refused for ${Math.ceil(guard.breaker.openForMs() / 1000)} s, then one is tried`,
			);
		}
	}

	private guardOf(service: string): Guard {
		let guard = this.guards.get(service);
		if (!guard) {
			const { breaker, bulkhead } = this.limitsOf(service);
			guard = {
				service,
				breaker: new CircuitBreaker(breaker, this.now),
				bulkhead: new Bulkhead(bulkhead.concurrency, bulkhead.maxQueue),
				answering: true,
			};
			this.guards.set(service, guard);
		}
		return guard;
	}
}

/** A route's call options: the timeout of the service its aliases call (REQUEST_TIMEOUT_MS unless overridden). */
export function downstreamCallOptions(config: AppConfig, aliases: Record<string, string>): { timeout?: number } {
	const service = serviceOfAction(Object.values(aliases)[0]);
	if (service === undefined) return {};
	return { timeout: downstreamLimitsOf(config.downstream.defaults, config.downstream.overrides[service]).timeoutMs };
}

/** The guards of a gateway: each service's limits from config. */
export function downstreamGuardsOf(config: AppConfig, localNodeID: string, log: GuardLog): DownstreamGuards {
	return new DownstreamGuards(
		(service) => downstreamLimitsOf(config.downstream.defaults, config.downstream.overrides[service]),
		localNodeID,
		log,
	);
}
