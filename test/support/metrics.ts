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

/** One sample of a Prometheus text exposition: `name{labels} value`. */
export interface ScrapedSample {
	name: string;
	labels: Record<string, string>;
	value: number;
}

/** GET /metrics of the broker's Prometheus reporter (listening on METRICS_PORT, 0 included), parsed. */
export async function scrapeMetrics(broker: ServiceBroker): Promise<ScrapedSample[]> {
	const reporters = (broker.metrics as unknown as { reporter?: Array<{ server?: import("node:http").Server }> })
		.reporter;
	const server = reporters?.find((r) => r.server)?.server;
	if (!server) throw new Error("scrapeMetrics: the broker has no Prometheus reporter (METRICS_ENABLED=true?)");
	if (!server.listening) await new Promise((resolve) => server.once("listening", resolve));
	const { port } = server.address() as import("node:net").AddressInfo;
	const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
	const samples: ScrapedSample[] = [];
	for (const line of text.split("\n")) {
		const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
		if (!match) continue;
		const labels: Record<string, string> = {};
		for (const [, key, value] of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
			labels[key as string] = value as string;
		}
		samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
	}
	return samples;
}

/** The samples of `name` whose labels include `labels`. */
export function samplesOf(
	samples: ScrapedSample[],
	name: string,
	labels: Record<string, string> = {},
): ScrapedSample[] {
	return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}
