/**
 * Shared machinery of the event-flow specs: which adapters to run, the environment of a test's
 * nodes, polling with deadlines, readiness probes, and reading the consumer's and producer's tables
 * straight from MariaDB.
 */
import type { ServiceBroker } from "moleculer";
import type mysql from "mysql2/promise";
import type { AppConfig } from "../../../config";
import { uniqueId } from "../brokers";
import { infra } from "../infra";
import { testServerPool } from "../test-database";
import { testNamespace } from "../test-namespaces";
import { PROBE, SALE_MADE, type SellParams } from "./fixtures";

export type AdapterName = "kafka" | "jetstream" | "redis" | "in-process";

const ALL_ADAPTERS: readonly AdapterName[] = ["kafka", "jetstream", "redis", "in-process"];

/** EVENTS_ADAPTERS=kafka,redis narrows the run; default: all four. */
export function adaptersUnderTest(): AdapterName[] {
	const wanted = (process.env.EVENTS_ADAPTERS ?? "")
		.split(",")
		.map((s) => s.trim())
		.filter(Boolean);
	if (wanted.length === 0) return [...ALL_ADAPTERS];
	const unknown = wanted.filter((name) => !ALL_ADAPTERS.includes(name as AdapterName));
	if (unknown.length > 0) throw new Error(`EVENTS_ADAPTERS: unknown adapter(s) ${unknown.join(", ")}`);
	return wanted as AdapterName[];
}

/** EVENTS_URL of the shared infrastructure for an adapter. */
export function sharedEventsUrl(adapter: AdapterName): string {
	switch (adapter) {
		case "kafka":
			return infra.kafkaUrl;
		case "jetstream":
			return infra.natsUrl;
		case "redis":
			return infra.redisUrl;
		case "in-process":
			return "";
	}
}

/** Settings every node of one test shares: its own namespace (topics) and databases. */
export function flowEnv(eventsUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
	const id = uniqueId();
	return {
		NAMESPACE: testNamespace("ev"),
		DB_NAME_PREFIX: `shop_ev${id}_`,
		DATABASE_URL: infra.databaseUrl,
		DB_POOL_MAX: "10",
		EVENTS_URL: eventsUrl,
		// Publish failures, reconnect errors and retry warnings are expected here; EVENTS_LOG_LEVEL=warn shows them.
		LOG_LEVEL: process.env.EVENTS_LOG_LEVEL ?? "fatal",
		EVENTS_MAX_RETRIES: "3",
		OUTBOX_RELAY_INTERVAL_MS: "200",
		// A broker outage must not exhaust the attempts (FAILED rows need an operator's outboxReplay).
		OUTBOX_MAX_ATTEMPTS: "1000",
		OUTBOX_BACKOFF_BASE_MS: "100",
		OUTBOX_BACKOFF_MAX_MS: "1000",
		...overrides,
	};
}

export async function sleep(ms: number): Promise<void> {
	await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns a value other than undefined; fails with `what` after the deadline. */
export async function waitFor<T>(
	what: string,
	probe: () => Promise<T | undefined> | T | undefined,
	timeoutMs = 30_000,
	intervalMs = 100,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let lastError: unknown;
	for (;;) {
		try {
			const value = await probe();
			if (value !== undefined) return value;
		} catch (err) {
			lastError = err;
		}
		if (Date.now() > deadline) {
			throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (${lastError})` : ""}`);
		}
		await sleep(intervalMs);
	}
}

type Sender = { sendToChannel(channel: string, payload: unknown, opts?: unknown): Promise<void> };

export function sendToChannel(broker: ServiceBroker, channel: string, payload: unknown, opts?: unknown) {
	return (broker as unknown as Sender).sendToChannel(channel, payload, opts);
}

/**
 * Resolves once the ledger's consumer group really receives new messages. New groups start at the
 * end of the stream on Kafka, and a kafkajs consumer resolves that offset only on its first fetch,
 * after `broker.start()`: a message sent before then would never reach the group. So: send probes on
 * the sale channel until one comes back.
 */
export async function untilConsuming(
	sender: ServiceBroker,
	seen: (probeId: string) => Promise<boolean> | boolean,
	timeoutMs = 30_000,
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		const id = `probe-${uniqueId()}`;
		await sendToChannel(sender, SALE_MADE, { eventId: id, type: PROBE, key: id, payload: {} }, { key: id }).catch(
			() => undefined,
		);
		const until = Date.now() + 750;
		while (Date.now() < until) {
			if (await seen(id)) return;
			await sleep(50);
		}
	}
	throw new Error(`the ledger did not receive a probe within ${timeoutMs} ms`);
}

/** The same for the dead-letter store of the events service. */
export async function untilStoringDeadLetters(
	sender: ServiceBroker,
	store: ServiceBroker,
	deadLetterTopic: string,
	timeoutMs = 30_000,
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		const id = `probe-${uniqueId()}`;
		await sendToChannel(sender, deadLetterTopic, { eventId: id, type: PROBE, key: id, payload: {} }).catch(
			() => undefined,
		);
		const until = Date.now() + 750;
		while (Date.now() < until) {
			const letters = await store.call<Array<{ eventId: string | null }>, object>("events.deadLetters", {
				open: true,
				limit: 1000,
			});
			if (letters.some((l) => l.eventId === id)) return;
			await sleep(50);
		}
	}
	throw new Error(`the events service stored no dead-letter probe within ${timeoutMs} ms`);
}

/** Runs `count` sells through `broker`, `concurrency` at a time; resolves with the errors (none expected). */
export async function sellMany(
	broker: ServiceBroker,
	params: (i: number) => SellParams,
	count: number,
	concurrency = 16,
	opts: (i: number) => Record<string, unknown> = () => ({}),
): Promise<unknown[]> {
	const errors: unknown[] = [];
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(concurrency, count) }, async () => {
			for (let i = next++; i < count; i = next++) {
				try {
					await broker.call("sales.sell", params(i), opts(i));
				} catch (err) {
					errors.push(err);
				}
			}
		}),
	);
	return errors;
}

interface Counts {
	rows: number;
	distinct: number;
}

/** Direct SQL on the databases of one test (named by its DB_NAME_PREFIX). */
export class FlowDb {
	private constructor(
		private readonly pool: mysql.Pool,
		private readonly prefix: string,
	) {}

	static open(prefix: string): FlowDb {
		const pool = testServerPool();
		return new FlowDb(pool, prefix);
	}

	private db(service: string): string {
		return `\`${this.prefix}${service}\``;
	}

	private async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
		const [rows] = await this.pool.query(sql, params);
		return rows as T[];
	}

	/** Ledger rows and distinct event ids; 0/0 before the table exists. */
	async ledgerCounts(): Promise<Counts> {
		try {
			const [row] = await this.rows<{ rows: number; distinct: number }>(
				`SELECT COUNT(*) AS \`rows\`, COUNT(DISTINCT event_id) AS \`distinct\` FROM ${this.db("ledger")}.ledger_entries`,
			);
			return { rows: Number(row?.rows ?? 0), distinct: Number(row?.distinct ?? 0) };
		} catch (err) {
			if (
				(err as { code?: string }).code === "ER_NO_SUCH_TABLE" ||
				(err as { code?: string }).code === "ER_BAD_DB_ERROR"
			)
				return { rows: 0, distinct: 0 };
			throw err;
		}
	}

	async ledgerEventIds(): Promise<string[]> {
		const rows = await this.rows<{ event_id: string }>(
			`SELECT event_id FROM ${this.db("ledger")}.ledger_entries ORDER BY id`,
		);
		return rows.map((r) => r.event_id);
	}

	async outboxByStatus(): Promise<Record<string, number>> {
		const rows = await this.rows<{ status: string; n: number }>(
			`SELECT status, COUNT(*) AS n FROM ${this.db("sales")}.outbox_events GROUP BY status`,
		);
		return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
	}

	/** Outbox rows: event id, status and how many times a relay marked it published (or failed). */
	async outboxRows(): Promise<Array<{ eventId: string; status: string; attempts: number }>> {
		const rows = await this.rows<{ event_id: string; status: string; attempts: number }>(
			`SELECT event_id, status, attempts FROM ${this.db("sales")}.outbox_events ORDER BY id`,
		);
		return rows.map((r) => ({ eventId: r.event_id, status: r.status, attempts: Number(r.attempts) }));
	}

	/** The envelope exactly as the outbox stored (and the relay published) it. */
	async outboxEnvelope(eventId: string): Promise<unknown> {
		const [row] = await this.rows<{ envelope: string }>(
			`SELECT envelope FROM ${this.db("sales")}.outbox_events WHERE event_id = ?`,
			[eventId],
		);
		if (!row) throw new Error(`no outbox row for ${eventId}`);
		return JSON.parse(row.envelope);
	}

	/** Drops every database of this test, then closes the pool. */
	async dropAndClose(): Promise<void> {
		try {
			const dbs = await this.rows<{ name: string }>(
				"SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE ?",
				[`${this.prefix.replace(/_/g, "\\_")}%`],
			);
			for (const { name } of dbs) await this.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
		} finally {
			await this.pool.end();
		}
	}
}

/** The namespaced name of a channel, as the adapters store it (dead letters name it so). */
export function channelName(config: AppConfig, channel: string): string {
	return `${config.namespace}.${channel}`;
}

/** Resolves with `read()`'s value once it has not changed for `quietMs` (nothing more is arriving). */
export async function settled<T>(read: () => Promise<T>, quietMs = 500, timeoutMs = 30_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last = JSON.stringify(await read());
	let since = Date.now();
	for (;;) {
		await sleep(100);
		const value = await read();
		const now = JSON.stringify(value);
		if (now !== last) {
			last = now;
			since = Date.now();
		} else if (Date.now() - since >= quietMs) {
			return value;
		}
		if (Date.now() > deadline) throw new Error(`still changing after ${timeoutMs} ms: ${now}`);
	}
}
