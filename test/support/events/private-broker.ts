/**
 * A private event broker (Redis, NATS JetStream or a single-node KRaft Kafka) on free ports with its
 * own data directory, so a test can stop and restart it without touching the shared infrastructure.
 * Data survives a restart, as it does on a production broker: Redis writes an append-only file,
 * JetStream a file store, Kafka its log directory.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { logLevel } from "kafkajs";
import { connect } from "nats";
import { newKafka } from "../../../lib/events/kafka-client";
import { answersTcp } from "../tcp";
import { sleep, waitFor } from "./harness";

export type BrokerKind = "kafka" | "jetstream" | "redis";

const KAFKA_LIBS = path.join(
	process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"),
	"shop-infra",
	`kafka-${process.env.SHOP_KAFKA_VERSION ?? "4.1.1"}`,
	"libs",
);

function portIsFree(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const server = net.createServer();
		server.once("error", () => resolve(false));
		server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
	});
}

/** A free port (and `port + 1` too when `pair`), as the OS hands them out. */
async function freePort(pair = false): Promise<number> {
	for (let attempt = 0; attempt < 20; attempt++) {
		const port = await new Promise<number>((resolve, reject) => {
			const server = net.createServer();
			server.once("error", reject);
			server.listen(0, "127.0.0.1", () => {
				const { port: p } = server.address() as net.AddressInfo;
				server.close(() => resolve(p));
			});
		});
		if (!pair || (port < 65535 && (await portIsFree(port + 1)))) return port;
	}
	throw new Error("no free port");
}

function redisPing(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = net.connect({ host: "127.0.0.1", port });
		socket.setTimeout(1000);
		socket.once("connect", () => socket.write("PING\r\n"));
		socket.once("data", (d) => {
			socket.destroy();
			resolve(d.toString().startsWith("+PONG"));
		});
		socket.once("error", () => resolve(false));
		socket.once("timeout", () => {
			socket.destroy();
			resolve(false);
		});
	});
}

interface Spec {
	url: string;
	command: string;
	args: string[];
	/** Resolves true once the server serves clients. */
	ready(): Promise<boolean>;
}

export class PrivateBroker {
	private child: ChildProcess | undefined;
	private exited: Promise<void> = Promise.resolve();
	private readonly output: string[] = [];

	private constructor(
		readonly kind: BrokerKind,
		readonly dir: string,
		private readonly spec: Spec,
	) {}

	/** EVENTS_URL of this broker. */
	get url(): string {
		return this.spec.url;
	}

	static async create(kind: BrokerKind): Promise<PrivateBroker> {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), `shop-events-${kind}-`));
		switch (kind) {
			case "redis": {
				const port = await freePort();
				return new PrivateBroker(kind, dir, {
					url: `redis://127.0.0.1:${port}`,
					command: "redis-server",
					// AOF: the stream and its consumer group must survive the restart (without persistence
					// the group is gone and the adapter never recreates it).
					args: [
						...["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", ""],
						...["--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "no"],
					],
					ready: () => redisPing(port),
				});
			}
			case "jetstream": {
				const port = await freePort();
				return new PrivateBroker(kind, dir, {
					url: `nats://127.0.0.1:${port}`,
					command: "nats-server",
					args: ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir],
					ready: async () => {
						if (!(await answersTcp("127.0.0.1", port))) return false;
						const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false, timeout: 1000 });
						try {
							await (await nc.jetstreamManager()).getAccountInfo();
							return true;
						} finally {
							await nc.close();
						}
					},
				});
			}
			case "kafka": {
				const port = await freePort(true);
				const properties = [
					"process.roles=broker,controller",
					"node.id=1",
					`controller.quorum.bootstrap.servers=127.0.0.1:${port + 1}`,
					`listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${port + 1}`,
					`advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
					"controller.listener.names=CONTROLLER",
					"inter.broker.listener.name=PLAINTEXT",
					"listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
					`log.dirs=${path.join(dir, "data")}`,
					"num.partitions=3",
					"offsets.topic.replication.factor=1",
					"offsets.topic.num.partitions=3",
					"transaction.state.log.replication.factor=1",
					"transaction.state.log.min.isr=1",
					"share.coordinator.state.topic.replication.factor=1",
					"share.coordinator.state.topic.min.isr=1",
					"group.initial.rebalance.delay.ms=0",
					"default.replication.factor=1",
					"min.insync.replicas=1",
					"num.network.threads=2",
					"num.io.threads=2",
				];
				fs.writeFileSync(path.join(dir, "server.properties"), `${properties.join("\n")}\n`);
				fs.writeFileSync(
					path.join(dir, "log4j2.properties"),
					[
						"status = error",
						"appender.err.type = Console",
						"appender.err.name = ERR",
						"appender.err.layout.type = PatternLayout",
						"appender.err.layout.pattern = %p %m%n",
						"rootLogger.level = WARN",
						"rootLogger.appenderRef.err.ref = ERR",
					].join("\n"),
				);
				const java = ["-Xms128m", "-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"];
				const common = [...java, `-Dlog4j2.configurationFile=${path.join(dir, "log4j2.properties")}`];
				const clusterId = randomBytes(16).toString("base64url");
				await promisify(execFile)(
					"java",
					[
						...common,
						"-cp",
						`${KAFKA_LIBS}/*`,
						"kafka.tools.StorageTool",
						"format",
						"-t",
						clusterId,
						"-c",
						path.join(dir, "server.properties"),
						"--standalone",
					],
					{ timeout: 60_000 },
				);
				return new PrivateBroker(kind, dir, {
					url: `kafka://127.0.0.1:${port}`,
					command: "java",
					args: [...common, "-cp", `${KAFKA_LIBS}/*`, "kafka.Kafka", path.join(dir, "server.properties")],
					ready: async () => {
						if (!(await answersTcp("127.0.0.1", port))) return false;
						const admin = newKafka({
							clientId: "private-broker-probe",
							brokers: [`127.0.0.1:${port}`],
							logLevel: logLevel.NOTHING,
							retry: { retries: 0 },
						}).admin();
						await admin.connect();
						try {
							await admin.listTopics();
							return true;
						} finally {
							await admin.disconnect();
						}
					},
				});
			}
		}
	}

	/** Kafka needs its jars; the other two their binaries on PATH. */
	static available(kind: BrokerKind): boolean {
		if (kind === "kafka") return fs.existsSync(KAFKA_LIBS);
		const bin = kind === "redis" ? "redis-server" : "nats-server";
		const dirs = (process.env.PATH ?? "").split(path.delimiter).concat(["/usr/sbin", "/usr/bin"]);
		return dirs.some((d) => fs.existsSync(path.join(d, bin)));
	}

	get running(): boolean {
		return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
	}

	/** Starts (or restarts) the server; resolves once it serves clients. */
	async start(timeoutMs = 45_000): Promise<void> {
		if (this.running) throw new Error(`${this.kind} is already running`);
		const child = spawn(this.spec.command, this.spec.args, {
			cwd: this.dir,
			stdio: ["ignore", "pipe", "pipe"],
			env: { ...process.env, PATH: `${process.env.PATH ?? ""}:/usr/sbin` },
		});
		this.child = child;
		child.stdout?.on("data", (d: Buffer) => this.output.push(d.toString()));
		child.stderr?.on("data", (d: Buffer) => this.output.push(d.toString()));
		this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
		await waitFor(
			`the private ${this.kind} broker at ${this.url}`,
			async () => {
				if (!this.running) throw new Error(`${this.kind} exited:\n${this.output.join("").slice(-2000)}`);
				return (await this.spec.ready().catch(() => false)) ? true : undefined;
			},
			timeoutMs,
			200,
		);
	}

	/** Stops the server (SIGTERM, SIGKILL after `graceMs`) and waits until it is gone. */
	async stop(graceMs = 20_000): Promise<void> {
		const child = this.child;
		if (!child || !this.running) return;
		child.kill("SIGTERM");
		const killed = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
		if (!killed) {
			child.kill("SIGKILL");
			await this.exited;
		}
	}

	/** Stops it and removes its data. */
	async dispose(): Promise<void> {
		if (this.running) {
			this.child?.kill("SIGKILL");
			await this.exited;
		}
		fs.rmSync(this.dir, { recursive: true, force: true });
	}
}
