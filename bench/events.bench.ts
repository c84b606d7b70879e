/**
 * `npm run bench:events`: how fast and how promptly committed outbox events reach a consumer, per
 * event broker. For each adapter (BENCH_EVENTS_ADAPTERS, default kafka,jetstream):
 *  - sustained: BENCH_EVENTS_TOTAL events committed in transactions of 500 (distinct keys), timed
 *    from the first commit to the last event consumed: end-to-end events/s through relay and broker;
 *  - latency: BENCH_EVENTS_RATE events/s (default 500) for BENCH_EVENTS_SECONDS, commit-to-consume
 *    p50/p95/p99.
 * Producer and consumer are two brokers in this process (one clock); MariaDB, the event broker and
 * this process share the machine. Writes the report to a file of the run's own under bench/runs/
 * (BENCH_RESULTS_FILE; bench/EVENTS_RESULTS.md is the curated record, never written by a run).
 */
import fs from "node:fs";
import os from "node:os";
import { ServiceBroker } from "moleculer";
import { Sequelize } from "sequelize";
import { loadConfig } from "../config";
import { removeEventData, underNamespace } from "../test/support/event-stores";
import { brokerOptions } from "../wiring/broker-options";
import { consumerService, producerService } from "./events/event-bench.services";
import { LatencyRecorder } from "./support/latency-recorder";
import { ensureFolderOf, runOutputFile, shownPath } from "./support/run-output";

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? "mysql://shop:shop@127.0.0.1:3306";
const URLS: Record<string, string> = {
	kafka: process.env.TEST_KAFKA_URL ?? "kafka://127.0.0.1:9092",
	jetstream: process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222",
	redis: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
};
const ADAPTERS = (process.env.BENCH_EVENTS_ADAPTERS ?? "kafka,jetstream").split(",").map((s) => s.trim());
const TOTAL = Number(process.env.BENCH_EVENTS_TOTAL ?? 20_000);
const RATE = Number(process.env.BENCH_EVENTS_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_EVENTS_SECONDS ?? 10);
const PER_TRANSACTION = 500;
/** "" = not written. */
const RESULTS_FILE = process.env.BENCH_RESULTS_FILE ?? runOutputFile("events");

interface Result {
	adapter: string;
	/** Sustained phase, from the first commit: all committed, all published by the relay, all consumed. */
	committedPerSecond: number;
	publishedPerSecond: number;
	eventsPerSecond: number;
	p50: number;
	p95: number;
	p99: number;
	latencySamples: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`${what}: not done within ${timeoutMs} ms`);
		await sleep(5);
	}
}

async function runAdapter(adapter: string): Promise<Result> {
	const id = Math.random().toString(36).slice(2, 10);
	const env = {
		NAMESPACE: `bench-ev-${id}`,
		DB_NAME_PREFIX: `shop_benchev${id}_`,
		DATABASE_URL,
		EVENTS_URL: URLS[adapter] as string,
		LOG_LEVEL: "warn",
		METRICS_ENABLED: "false",
		OUTBOX_RELAY_INTERVAL_MS: "100",
		OUTBOX_CLAIM_BATCH: "1000",
		EVENTS_MAX_IN_FLIGHT: "100",
	};
	const committedAt = new Map<string, number>();
	const consumedAt = new Map<string, number>();
	const producer = new ServiceBroker(brokerOptions(loadConfig({ ...env, NODE_ID: `producer-${id}` })));
	producer.createService(
		producerService((ids, at) => {
			for (const eventId of ids) committedAt.set(eventId, at);
		}),
	);
	const consumer = new ServiceBroker(brokerOptions(loadConfig({ ...env, NODE_ID: `consumer-${id}` })));
	consumer.createService(consumerService((eventId, at) => consumedAt.set(eventId, at)));
	await Promise.all([consumer.start(), producer.start()]);
	try {
		// Warm-up: the consumer group has joined once these arrive.
		await producer.call("benchProducer.commit", { count: 100, prefix: "warm" });
		await until(() => consumedAt.size >= 100, 60_000, `${adapter} warm-up`);
		consumedAt.clear();
		committedAt.clear();

		// Sustained: everything committed as fast as MariaDB takes it, 4 transactions in flight.
		const started = performance.now();
		const startedAt = Date.now();
		const batches = Math.ceil(TOTAL / PER_TRANSACTION);
		let next = 0;
		await Promise.all(
			Array.from({ length: 4 }, async () => {
				while (next < batches) {
					const b = next++;
					await producer.call("benchProducer.commit", { count: PER_TRANSACTION, prefix: `s${b}` });
				}
			}),
		);
		const committedMs = performance.now() - started;
		await until(() => consumedAt.size >= batches * PER_TRANSACTION, 300_000, `${adapter} sustained`);
		const lastConsumed = Math.max(...consumedAt.values());
		const sustained = batches * PER_TRANSACTION;
		const eventsPerSecond = sustained / ((lastConsumed - started) / 1000);
		const committedPerSecond = sustained / (committedMs / 1000);
		const publishedMs = (await producer.call<number, object>("benchProducer.lastPublishedAt", {})) - startedAt;
		const publishedPerSecond = sustained / (publishedMs / 1000);
		consumedAt.clear();
		committedAt.clear();

		// Latency at a steady rate: every 20 ms, RATE/50 events in one transaction.
		const perTick = Math.max(1, Math.round(RATE / 50));
		const ticks = SECONDS * 50;
		const pending: Promise<unknown>[] = [];
		for (let t = 0; t < ticks; t++) {
			const due = performance.now() + 20;
			pending.push(producer.call("benchProducer.commit", { count: perTick, prefix: `l${t}` }));
			await sleep(Math.max(0, due - performance.now()));
		}
		await Promise.all(pending);
		await until(() => consumedAt.size >= ticks * perTick, 120_000, `${adapter} latency`);
		const recorder = new LatencyRecorder();
		for (const [eventId, at] of consumedAt) {
			const committed = committedAt.get(eventId);
			if (committed !== undefined) recorder.record(Math.max(0, at - committed));
		}
		const [p50, p95, p99] = recorder.percentiles([50, 95, 99]) as [number, number, number];
		return {
			adapter,
			committedPerSecond,
			publishedPerSecond,
			eventsPerSecond,
			p50,
			p95,
			p99,
			latencySamples: recorder.count,
		};
	} finally {
		await Promise.all([producer.stop(), consumer.stop()]);
		const admin = new Sequelize(DATABASE_URL, { logging: false });
		await admin.query(`DROP DATABASE IF EXISTS \`${env.DB_NAME_PREFIX}bench_events\``).catch(() => undefined);
		await admin.close();
		// Topics left on the local Kafka slow its every later start (it loads each partition first).
		await removeEventData(
			{ kafka: URLS.kafka as string, nats: URLS.jetstream as string, redis: URLS.redis as string },
			underNamespace(env.NAMESPACE),
		);
	}
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

function report(results: Result[]): string {
	const cpu = os.cpus()[0]?.model ?? "unknown CPU";
	const lines = [
		"# Event pipeline benchmark — results",
		"",
		"Written by one run of `npm run bench:events`; the curated record of runs is bench/EVENTS_RESULTS.md.",
		"",
		`- Date: ${new Date().toISOString()}`,
		`- Machine: ${os.cpus().length} CPUs (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}; load average ${os
			.loadavg()
			.map((l) => l.toFixed(2))
			.join(" ")} at the end`,
		"- Producer (outbox + relay) and consumer brokers in one process; MariaDB, the event broker and the process share the cores.",
		`- Sustained: ${TOTAL} events committed ${PER_TRANSACTION} per transaction (4 in flight), first commit to last consume; committed/s and published/s time the same events from the first commit to the last commit and to the relay's last publish. Latency: ${RATE} events/s for ${SECONDS} s, commit to consumer handler.`,
		"",
		"| adapter | sustained events/s (end to end) | committed/s | published/s (relay) | p50 ms | p95 ms | p99 ms | samples | target >= 5,000/s | target p95 < 100 ms |",
		"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
		...results.map(
			(r) =>
				`| ${r.adapter} | ${fmt(r.eventsPerSecond)} | ${fmt(r.committedPerSecond)} | ${fmt(r.publishedPerSecond)} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.latencySamples} | ${r.eventsPerSecond >= 5000 ? "met" : "**MISSED**"} | ${r.p95 < 100 ? "met" : "**MISSED**"} |`,
		),
		"",
	];
	return lines.join("\n");
}

async function main(): Promise<void> {
	const results: Result[] = [];
	for (const adapter of ADAPTERS) {
		if (!URLS[adapter]) throw new Error(`unknown adapter ${adapter} (kafka, jetstream, redis)`);
		process.stdout.write(`[bench:events] ${adapter}...\n`);
		const result = await runAdapter(adapter);
		process.stdout.write(
			`[bench:events] ${adapter}: ${Math.round(result.eventsPerSecond)} events/s sustained; at ${RATE}/s p50 ${result.p50.toFixed(1)} ms, p95 ${result.p95.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms\n`,
		);
		results.push(result);
	}
	const text = report(results);
	process.stdout.write(`\n${text}`);
	if (RESULTS_FILE) {
		ensureFolderOf(RESULTS_FILE);
		fs.writeFileSync(RESULTS_FILE, text);
		process.stdout.write(`[bench:events] wrote this run's report to ${shownPath(RESULTS_FILE)}\n`);
	}
}

main().then(
	() => process.exit(0),
	(err) => {
		process.stderr.write(`[bench:events] failed: ${(err as Error).stack ?? err}\n`);
		process.exit(2);
	},
);
