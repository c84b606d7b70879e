import fs from "node:fs/promises";
import Redis from "ioredis";
import { type Admin, logLevel } from "kafkajs";
import { type NatsConnection, connect as natsConnect } from "nats";
import { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { mysqlOptions } from "../db/sequelize-factory";
import { newKafka } from "../events/kafka-client";
import { withTimeout } from "../with-timeout";

export type DependencyStatus = "UP" | "DOWN";

export interface DependencyHealth {
	status: DependencyStatus;
	/** What backs it: mariadb, sqlite, redis, memory, nats, local, kafka, jetstream, redis-streams, in-process. */
	kind: string;
	latencyMs?: number;
	error?: string;
}

type Probe = () => Promise<void>;

/**
 * Checks the dependencies a node is configured with. Clients are created on first use and reused,
 * so a health check costs one round trip per dependency, not a connection.
 */
export class DependencyProbes {
	private redis?: Redis;
	private eventsRedis?: Redis;
	private db?: Sequelize;
	private jetstream?: Promise<NatsConnection>;
	private kafkaAdmin?: Admin;
	private kafkaConnected?: Promise<void>;

	constructor(
		private readonly config: AppConfig,
		private readonly transporterConnected: () => boolean,
	) {}

	/** Probes every dependency in parallel, each bounded by HEALTH_CHECK_TIMEOUT_MS. */
	async checkAll(): Promise<Record<string, DependencyHealth>> {
		const probes: Record<string, [string, Probe]> = {
			database: this.databaseProbe(),
			keyValue: this.redisProbe(),
			transporter: this.transporterProbe(),
			events: this.eventsProbe(),
			...this.searchProbe(),
		};
		const entries = await Promise.all(
			Object.entries(probes).map(async ([name, [kind, probe]]) => [name, await this.measure(kind, probe)] as const),
		);
		return Object.fromEntries(entries);
	}

	async close(): Promise<void> {
		this.redis?.disconnect();
		this.eventsRedis?.disconnect();
		await this.db?.close().catch(() => undefined);
		await this.kafkaAdmin?.disconnect().catch(() => undefined);
		const nc = await this.jetstream?.catch(() => undefined);
		await nc?.close().catch(() => undefined);
	}

	/** Only where search runs: the engine is that service's dependency, and its outage is search's alone. */
	private searchProbe(): Record<string, [string, Probe]> {
		const runsSearch = this.config.services.length === 0 || this.config.services.includes("search");
		if (!runsSearch) return {};
		const { url, engine } = this.config.search;
		if (!url) return { search: ["embedded", async () => {}] };
		return {
			search: [
				engine,
				async () => {
					const answer = await fetch(url, { signal: AbortSignal.timeout(this.config.health.timeoutMs) });
					if (!answer.ok) throw new Error(`${engine} answered ${answer.status}`);
				},
			],
		};
	}

	private async measure(kind: string, probe: Probe): Promise<DependencyHealth> {
		const started = performance.now();
		try {
			await withTimeout(probe(), this.config.health.timeoutMs, kind);
			return { status: "UP", kind, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
		} catch (err) {
			return { status: "DOWN", kind, error: (err as Error).message };
		}
	}

	private databaseProbe(): [string, Probe] {
		if (!this.config.db.url) {
			return [
				"sqlite",
				() =>
					fs
						.mkdir(this.config.dataDir, { recursive: true })
						.then(() => fs.access(this.config.dataDir, fs.constants.W_OK)),
			];
		}
		return [
			"mariadb",
			async () => {
				if (!this.db) {
					const options = mysqlOptions(new URL(this.config.db.url));
					this.db = new Sequelize({
						...options,
						pool: { max: 1 },
						dialectOptions: { ...options.dialectOptions, connectTimeout: 2000 },
					});
				}
				await this.db.query("SELECT 1");
			},
		];
	}

	private redisProbe(): [string, Probe] {
		if (!this.config.redis.url) return ["memory", async () => {}];
		return [
			"redis",
			async () => {
				this.redis ??= lazyRedis(this.config.redis.url);
				await this.redis.ping();
			},
		];
	}

	private transporterProbe(): [string, Probe] {
		if (!this.config.transporter) return ["local", async () => {}];
		return [
			"nats",
			async () => {
				if (!this.transporterConnected()) throw new Error("transporter is not connected");
			},
		];
	}

	private eventsProbe(): [string, Probe] {
		const url = this.config.events.url;
		if (!url) return ["in-process", async () => {}];
		const scheme = new URL(url).protocol.replace(/:$/, "");
		if (scheme === "kafka") return ["kafka", () => this.kafkaProbe(url)];
		if (scheme === "nats") return ["jetstream", () => this.jetstreamProbe(url)];
		return [
			"redis-streams",
			async () => {
				this.eventsRedis ??= lazyRedis(url);
				await this.eventsRedis.ping();
			},
		];
	}

	private async kafkaProbe(url: string): Promise<void> {
		if (!this.kafkaAdmin) {
			const brokers = kafkaBrokers(url);
			const kafka = newKafka({
				clientId: "health",
				brokers,
				logLevel: logLevel.NOTHING,
				connectionTimeout: 2000,
				retry: { retries: 0 },
			});
			this.kafkaAdmin = kafka.admin();
		}
		this.kafkaConnected ??= this.kafkaAdmin.connect().catch((err) => {
			this.kafkaConnected = undefined;
			throw err;
		});
		await this.kafkaConnected;
		await this.kafkaAdmin.describeCluster();
	}

	private async jetstreamProbe(url: string): Promise<void> {
		this.jetstream ??= natsConnect({ servers: url, name: "health", timeout: 2000 }).catch((err) => {
			this.jetstream = undefined;
			throw err;
		});
		const nc = await this.jetstream;
		const jsm = await nc.jetstreamManager();
		await jsm.getAccountInfo();
	}
}

/** `kafka://host1:9092,host2:9092` -> ["host1:9092", "host2:9092"]. */
export function kafkaBrokers(url: string): string[] {
	return url
		.replace(/^kafka:\/\//, "")
		.split(",")
		.map((b) => b.replace(/\/.*$/, "").trim())
		.filter(Boolean);
}

function lazyRedis(url: string): Redis {
	return new Redis(url, {
		lazyConnect: false,
		enableOfflineQueue: true,
		maxRetriesPerRequest: 1,
		connectTimeout: 2000,
	});
}
