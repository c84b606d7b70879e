import { Errors } from "moleculer";
import { SERVICE_FALLBACK, withoutStackTrace } from "../../lib/errors";

/**
 * The gateway's answer for a downstream service it cannot use now (the reference's `/fallback/{service}`):
 * 503 `SERVICE_UNAVAILABLE` with `details: {service, retryAfterS}` and a `Retry-After` header. No stack:
 * during an outage there is one per request, and it says nothing about our code.
 */
export class ServiceFallbackError extends Errors.MoleculerError {
	/** `reported`: the gateway logged the outage once already; this answer needs no error line of its own. */
	constructor(
		service: string,
		retryAfterS: number,
		readonly reported = false,
	) {
		const seconds = Math.max(1, Math.ceil(retryAfterS));
		super(`Service ${service} is unavailable; retry in ${seconds} s`, 503, SERVICE_FALLBACK, {
			service,
			retryAfterS: seconds,
		});
	}

	static of(service: string, retryAfterS: number, reported = false): ServiceFallbackError {
		return withoutStackTrace(() => new ServiceFallbackError(service, retryAfterS, reported));
	}
}

interface ErrorLike {
	name?: unknown;
	type?: unknown;
	code?: unknown;
	nodeID?: unknown;
	data?: { action?: unknown; service?: unknown } | null;
}

/** Moleculer's ways of saying no node could take (or finish) a call. */
const UNREACHABLE_TYPES = new Set([
	"SERVICE_NOT_FOUND",
	"SERVICE_NOT_AVAILABLE",
	"REQUEST_REJECTED",
	"CIRCUIT_BREAKER_OPEN",
]);

/** `products` of `products.list`. */
export function serviceOfAction(action: unknown): string | undefined {
	if (typeof action !== "string") return undefined;
	const dot = action.indexOf(".");
	return dot > 0 ? action.slice(0, dot) : undefined;
}

function isUnreachable(e: ErrorLike): boolean {
	if (typeof e.type === "string" && UNREACHABLE_TYPES.has(e.type)) return true;
	// moleculer-web's answer when no node offers the routed action at all: a 503 without a type.
	return e.name === "ServiceUnavailableError" && Number(e.code) === 503 && !e.type;
}

function serviceNamedBy(e: ErrorLike): string | undefined {
	return serviceOfAction(e.data?.action) ?? (typeof e.data?.service === "string" ? e.data.service : undefined);
}

/** Raised on another node and carried back with the answer (Moleculer sets `nodeID` on those). */
function isRemote(e: ErrorLike, localNodeID: string): boolean {
	return typeof e.nodeID === "string" && e.nodeID !== localNodeID;
}

/** An answer the gateway already logged (once per outage): no error line per request. */
export function isReportedFallback(err: unknown): boolean {
	if (err instanceof ServiceFallbackError) return err.reported;
	// A service shedding load (orders' CHECKOUT_BUSY) logs when it starts and stops; each refusal is not a failure.
	return (err as { data?: { loadShed?: unknown } } | null)?.data?.loadShed === true;
}

/**
 * The service a failed request should name in its fallback answer, or undefined when the error is not about
 * reaching a service. The routed service (`target`) when it could not be reached; the service this gateway
 * itself called when that one could not (`auth` for the token check); and the routed service again when one of
 * *its* dependencies was unreachable and it let the error through: the client called the cart, so the answer
 * is about the cart, never the products service behind it.
 */
export function unreachableServiceOf(
	err: unknown,
	target: string | undefined,
	localNodeID: string,
): string | undefined {
	const e = (err ?? {}) as ErrorLike;
	if (!isUnreachable(e)) return undefined;
	const named = serviceNamedBy(e) ?? target;
	if (named === target || target === undefined) return named;
	return isRemote(e, localNodeID) ? target : named;
}

/**
 * Whether a failed call says the routed service itself is unhealthy, for its breaker: it could not be
 * reached, it did not answer in time, or it failed unexpectedly (500). Not a 4xx (the request's fault), nor a
 * 503 the service answered itself (a dependency of it is down, and it says so: it is alive), nor a
 * dependency's error it passed on.
 */
export function countsAgainst(err: unknown, target: string): boolean {
	const e = (err ?? {}) as ErrorLike;
	if (isUnreachable(e) || e.type === "REQUEST_TIMEOUT") {
		const named = serviceNamedBy(e);
		return named === undefined || named === target;
	}
	const status = Number(e.code);
	return !Number.isInteger(status) || status === 500;
}
