import type { ServiceBroker } from "moleculer";

/** Config that turns a broker's metrics on; port 0 so parallel tests never fight over a port. */
export const METRICS_ON = { METRICS_ENABLED: "true", METRICS_PORT: "0" } as const;

/** The sum of a counter over the series whose labels include `labels`, read from the broker's registry. */
export function metricTotal(broker: ServiceBroker, name: string, labels: Record<string, string> = {}): number {
	const metric = broker.metrics.getMetric(name);
	let total = 0;
	for (const item of (metric?.snapshot() ?? []) as Array<{ labels: Record<string, unknown>; value: number }>) {
		if (Object.entries(labels).every(([k, v]) => item.labels[k] === v)) total += item.value;
	}
	return total;
}

/** Calls of `action` this broker made or served (Moleculer's own request counter). */
export function requestCount(broker: ServiceBroker, action: string): number {
	return metricTotal(broker, "moleculer.request.total", { action });
}

/** Count and sum of a histogram over the series whose labels include `labels`. */
export function histogramTotals(
	broker: ServiceBroker,
	name: string,
	labels: Record<string, string> = {},
): { count: number; sum: number } {
	const metric = broker.metrics.getMetric(name);
	const totals = { count: 0, sum: 0 };
	for (const item of (metric?.snapshot() ?? []) as Array<{
		labels: Record<string, unknown>;
		count: number;
		sum: number;
	}>) {
		if (!Object.entries(labels).every(([k, v]) => item.labels[k] === v)) continue;
		totals.count += item.count;
		totals.sum += item.sum;
	}
	return totals;
}
