import { HTTP_CEILINGS } from "./approaches";
import type { ScenarioResult } from "./scenario";

export interface TargetCheck {
	target: string;
	/** undefined: the run did not measure it (e.g. a quick run without N=200). */
	met: boolean | undefined;
	measured: string;
	/**
	 * For a target on a ratio of two figures of one run (a speed-up, a share of a ceiling): the ratio and
	 * its bound, so several runs are judged on the median of their own ratios, each taken on one box state,
	 * not on a ratio of medians that come from different runs (bench/median-of-runs.ts).
	 */
	sameRunRatio?: { value: number; atLeast: number; show(value: number): string };
}

/** The concurrency the NATS targets are stated at. */
export const TARGET_INFLIGHT = 200;
/** Successful reservations/s asked for over NATS at TARGET_INFLIGHT, and through the HTTP gateway. */
export const NATS_TARGET = 30_000;
export const HTTP_TARGET = 8_000;
/**
 * The HTTP line's share of the moleculer-web no-op ceiling measured in the same run (issue #14): what
 * the gateway's token check, version guard, rate-limit hook and fallbacks, a NATS round trip and a
 * durable commit may cost beside a gateway that does nothing. On the medians: median line / median ceiling.
 */
export const HTTP_CEILING_SHARE_TARGET = 0.7;

/** The throughput scenario of `approach` over `transport` (at `inflight`, when given). */
export function throughputOf(
	results: readonly ScenarioResult[],
	approach: string,
	transport: string,
	inflight?: number,
) {
	return results.find(
		(r) =>
			r.kind === "throughput" &&
			r.approach === approach &&
			r.transport === transport &&
			(inflight === undefined || r.inflight === inflight),
	);
}

/** actor throughput ÷ baseline throughput at the same N over NATS; undefined when either is missing. */
export function speedup(results: readonly ScenarioResult[], baseline: string, inflight: number): number | undefined {
	const actor = throughputOf(results, "actor", "NATS", inflight);
	const other = throughputOf(results, baseline, "NATS", inflight);
	return actor && other && other.rate > 0 ? actor.rate / other.rate : undefined;
}

const fmt = (value: number | undefined, digits = 0) => (value === undefined ? "n/a" : value.toFixed(digits));

/** "actor 1000 of 1000, ..." with repeats (sell-outs of several runs) counted instead of listed. */
function sellOutsText(sellOuts: readonly ScenarioResult[]): string {
	const counts = new Map<string, number>();
	for (const r of sellOuts) {
		const text = `${r.approach} ${r.successes} of ${r.initialStock}`;
		counts.set(text, (counts.get(text) ?? 0) + 1);
	}
	if (counts.size === 0) return "n/a";
	return [...counts].map(([text, n]) => (n > 1 ? `${text} (${n} times)` : text)).join(", ");
}

/** The goals of the actor design, each checked against this run's figures. */
export function evaluateTargets(results: readonly ScenarioResult[]): TargetCheck[] {
	const actor = throughputOf(results, "actor", "NATS", TARGET_INFLIGHT);
	const http = throughputOf(results, "actor", "HTTP");
	const gatewayCeiling = results.find((r) => r.kind === "throughput" && r.label === HTTP_CEILINGS.moleculerWeb.label);
	const share = http && gatewayCeiling && gatewayCeiling.rate > 0 ? http.rate / gatewayCeiling.rate : undefined;
	const vsConditional = speedup(results, "conditional", TARGET_INFLIGHT);
	const vsLock = speedup(results, "lock", TARGET_INFLIGHT);
	const sellOuts = results.filter((r) => r.kind === "sell-out");
	const oversold = (r: ScenarioResult) =>
		r.successes > r.initialStock || r.invariant.stock.reserved > r.initialStock || r.invariant.stock.available < 0;
	const check = (condition: boolean | undefined, target: string, measured: string): TargetCheck => ({
		target,
		met: condition,
		measured,
	});
	const ratioCheck = (
		value: number | undefined,
		atLeast: number,
		target: string,
		show: (value: number) => string,
	): TargetCheck => ({
		target,
		met: value === undefined ? undefined : value >= atLeast,
		measured: value === undefined ? "n/a" : show(value),
		...(value === undefined ? {} : { sameRunRatio: { value, atLeast, show } }),
	});
	const times = (value: number) => `${fmt(value, 1)}x`;
	const percent = (value: number) => `${fmt(value * 100, 1)} %`;
	return [
		check(
			actor && actor.rate >= NATS_TARGET,
			`NATS N=${TARGET_INFLIGHT}: >= 30,000 reservations/s`,
			`${fmt(actor?.rate)}/s`,
		),
		check(actor && actor.p95 <= 20, `NATS N=${TARGET_INFLIGHT}: p95 <= 20 ms`, `${fmt(actor?.p95, 1)} ms`),
		ratioCheck(vsConditional, 8, `NATS N=${TARGET_INFLIGHT}: >= 8x conditional UPDATE`, times),
		ratioCheck(vsLock, 25, `NATS N=${TARGET_INFLIGHT}: >= 25x Redis lock`, times),
		check(
			http && http.rate >= HTTP_TARGET,
			`HTTP N=${http?.inflight ?? TARGET_INFLIGHT}: >= 8,000 successful reservations/s`,
			`${fmt(http?.rate)}/s`,
		),
		ratioCheck(
			share,
			HTTP_CEILING_SHARE_TARGET,
			`HTTP N=${http?.inflight ?? TARGET_INFLIGHT}: >= ${HTTP_CEILING_SHARE_TARGET * 100} % of the same run's moleculer-web no-op ceiling`,
			percent,
		),
		check(
			http && http.p95 <= 50,
			`HTTP N=${http?.inflight ?? TARGET_INFLIGHT}: p95 <= 50 ms`,
			`${fmt(http?.p95, 1)} ms`,
		),
		check(
			sellOuts.length === 0 ? undefined : sellOuts.every((r) => !oversold(r) && r.invariant.ok),
			"zero oversell (every sell-out reserves exactly its stock)",
			sellOutsText(sellOuts),
		),
	];
}
