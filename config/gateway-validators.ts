import { EnvError, makeValidator } from "envalid";

/**
 * CORS_ORIGINS: a comma-separated list of browser origins (`https://shop.example`, `http://localhost:5173`), or
 * `*` for any; empty means no CORS at all. An origin is a scheme, a host and an optional port: no path.
 */
export const originList = makeValidator<string[]>((input: string) => {
	const origins = input
		.split(",")
		.map((s) => s.trim())
		.filter(Boolean);
	for (const origin of origins) {
		if (origin === "*") continue;
		let parsed: URL;
		try {
			parsed = new URL(origin);
		} catch {
			throw new EnvError(`not an origin: "${origin}"`);
		}
		if (!["http:", "https:"].includes(parsed.protocol) || parsed.origin !== origin) {
			throw new EnvError(`not an origin (scheme://host[:port], no path or trailing slash): "${origin}"`);
		}
	}
	return origins;
});

/** What the gateway allows one downstream service: the time a call may take, its breaker, its bulkhead. */
export interface DownstreamLimits {
	timeoutMs: number;
	breaker: { threshold: number; minRequests: number; windowMs: number; halfOpenMs: number };
	bulkhead: { concurrency: number; maxQueue: number };
}

/** One service's overrides, as GATEWAY_DOWNSTREAM spells them. */
export interface DownstreamOverride {
	timeoutMs?: number;
	breakerThreshold?: number;
	breakerMinRequests?: number;
	breakerWindowS?: number;
	breakerHalfOpenS?: number;
	bulkheadConcurrency?: number;
	bulkheadMaxQueue?: number;
}

const OVERRIDE_KEYS: Record<keyof DownstreamOverride, (n: number) => boolean> = {
	timeoutMs: (n) => Number.isInteger(n) && n > 0,
	breakerThreshold: (n) => n >= 0 && n <= 1,
	breakerMinRequests: (n) => Number.isInteger(n) && n > 0,
	breakerWindowS: (n) => n > 0,
	breakerHalfOpenS: (n) => n > 0,
	bulkheadConcurrency: (n) => Number.isInteger(n) && n > 0,
	bulkheadMaxQueue: (n) => Number.isInteger(n) && n >= 0,
};

/**
 * GATEWAY_DOWNSTREAM: per-service overrides of the gateway's limits, as a JSON object keyed by service name,
 * e.g. `{"search":{"timeoutMs":3000},"payments":{"bulkheadConcurrency":50}}`. Unknown keys are refused, so a
 * typo does not silently leave the default in place.
 */
export const downstreamOverrides = makeValidator<Record<string, DownstreamOverride>>((input: string) => {
	if (input.trim() === "") return {};
	let parsed: unknown;
	try {
		parsed = JSON.parse(input);
	} catch {
		throw new EnvError("expected a JSON object keyed by service name");
	}
	if (!isObject(parsed)) throw new EnvError("expected a JSON object keyed by service name");
	for (const [service, override] of Object.entries(parsed)) {
		if (!/^[a-z][a-z0-9-]*$/.test(service)) throw new EnvError(`invalid service name "${service}"`);
		if (!isObject(override)) throw new EnvError(`${service}: expected an object of limits`);
		for (const [key, value] of Object.entries(override)) {
			const valid = OVERRIDE_KEYS[key as keyof DownstreamOverride];
			if (!valid)
				throw new EnvError(`${service}: unknown limit "${key}" (known: ${Object.keys(OVERRIDE_KEYS).join(", ")})`);
			if (typeof value !== "number" || !valid(value))
				throw new EnvError(`${service}.${key}: invalid value ${JSON.stringify(value)}`);
		}
	}
	return parsed as Record<string, DownstreamOverride>;
});

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A service's limits: the defaults (REQUEST_TIMEOUT_MS, CIRCUIT_BREAKER_*, BULKHEAD_*) with its overrides. */
export function downstreamLimitsOf(
	defaults: DownstreamLimits,
	override: DownstreamOverride | undefined,
): DownstreamLimits {
	if (!override) return defaults;
	const { breaker, bulkhead } = defaults;
	return {
		timeoutMs: override.timeoutMs ?? defaults.timeoutMs,
		breaker: {
			threshold: override.breakerThreshold ?? breaker.threshold,
			minRequests: override.breakerMinRequests ?? breaker.minRequests,
			windowMs: override.breakerWindowS === undefined ? breaker.windowMs : override.breakerWindowS * 1000,
			halfOpenMs: override.breakerHalfOpenS === undefined ? breaker.halfOpenMs : override.breakerHalfOpenS * 1000,
		},
		bulkhead: {
			concurrency: override.bulkheadConcurrency ?? bulkhead.concurrency,
			maxQueue: override.bulkheadMaxQueue ?? bulkhead.maxQueue,
		},
	};
}
