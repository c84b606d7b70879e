import type http from "node:http";
import type { AddressInfo } from "node:net";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import gatewayService from "../../services/gateway/api.service";
import { brokerOptions } from "../../wiring/broker-options";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { infra } from "../support/infra";
import { testNamespace } from "../support/test-namespaces";

const greeter: ServiceSchema = {
	name: "greeter",
	actions: {
		hello: {
			params: { name: "string" },
			handler(ctx) {
				return { greeting: `Hello ${(ctx.params as { name: string }).name}`, servedBy: ctx.broker.nodeID };
			},
		},
	},
};

function gatewayPort(broker: ServiceBroker): number {
	const api = broker.getLocalService("api") as unknown as { server: http.Server };
	return (api.server.address() as AddressInfo).port;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe().catch(() => undefined);
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error("condition not met in time");
		await new Promise((r) => setTimeout(r, 100));
	}
}

describe("two nodes over NATS", () => {
	const namespace = testNamespace("cluster");
	const clusterEnv = {
		NAMESPACE: namespace,
		TRANSPORTER: infra.natsUrl,
		DATABASE_URL: infra.databaseUrl,
		REDIS_URL: infra.redisUrl,
		EVENTS_URL: infra.kafkaUrl,
	};
	let edge: ServiceBroker;
	let worker: ServiceBroker;

	beforeAll(async () => {
		const edgeConfig = testConfig({ ...clusterEnv, NODE_ID: `edge-${uniqueId()}`, SERVICES: "gateway" });
		const workerConfig = testConfig({ ...clusterEnv, NODE_ID: `worker-${uniqueId()}` });
		[edge, worker] = await Promise.all([
			startBroker(edgeConfig, [gatewayService(edgeConfig)]),
			startBroker(workerConfig, [greeter]),
		]);
		await edge.waitForServices("greeter", 10_000);
	});
	afterAll(async () => {
		await Promise.all([edge?.stop(), worker?.stop()]);
	});

	it("when the edge calls a service that only the worker runs, then the worker answers", async () => {
		const reply = await edge.call("greeter.hello", { name: "Ada" });
		expect(reply).toEqual({ greeting: "Hello Ada", servedBy: worker.nodeID });
	});

	it("when a remote call has invalid params, then the caller gets the validation error type", async () => {
		await expect(edge.call("greeter.hello", { name: 42 })).rejects.toMatchObject({ type: "VALIDATION_ERROR" });
	});

	it("when health is asked through the gateway, then it lists both nodes and every dependency UP", async () => {
		const port = gatewayPort(edge);
		const body = await waitFor(async () => {
			const res = await fetch(`http://127.0.0.1:${port}/api/health`);
			const json = (await res.json()) as { status: string; nodes: Array<{ id: string; services: string[] }> };
			return json.nodes.length >= 2 ? { status: res.status, json } : undefined;
		});
		expect(body.status).toBe(200);
		expect(body.json).toMatchObject({
			status: "UP",
			node: edge.nodeID,
			services: ["api"],
			dependencies: {
				database: { status: "UP", kind: "mariadb" },
				keyValue: { status: "UP", kind: "redis" },
				transporter: { status: "UP", kind: "nats" },
				events: { status: "UP", kind: "kafka" },
			},
		});
		expect(body.json.nodes).toEqual(
			expect.arrayContaining([
				{ id: edge.nodeID, available: true, services: ["api"] },
				{ id: worker.nodeID, available: true, services: ["greeter"] },
			]),
		);
	});
});

describe("gateway health while the node starts", () => {
	it("when the gateway listens before another service of its node has started, then health is 503 STARTING until it has", async () => {
		const config = testConfig();
		const broker = new ServiceBroker(brokerOptions(config));
		let finishStarting!: () => void;
		const slowStart = new Promise<void>((resolve) => {
			finishStarting = resolve;
		});
		broker.createService(gatewayService(config));
		broker.createService({ name: "migrating", started: () => slowStart });
		const started = broker.start();
		try {
			const during = await waitFor(async () => {
				const res = await fetch(`http://127.0.0.1:${gatewayPort(broker)}/api/health`);
				return { status: res.status, body: (await res.json()) as { status: string } };
			});
			expect([during.status, during.body.status]).toEqual([503, "STARTING"]);
			finishStarting();
			await started;
			const after = await fetch(`http://127.0.0.1:${gatewayPort(broker)}/api/health`);
			expect([after.status, ((await after.json()) as { status: string }).status]).toEqual([200, "UP"]);
		} finally {
			finishStarting();
			await started.catch(() => undefined);
			await broker.stop();
		}
	});
});

describe("gateway health with a dependency down", () => {
	it("when Redis does not answer, then health is 503 and names the dependency", async () => {
		const config = testConfig({ REDIS_URL: "redis://127.0.0.1:1", HEALTH_CHECK_TIMEOUT_MS: "500" });
		const broker = await startBroker(config, [gatewayService(config)]);
		try {
			const res = await fetch(`http://127.0.0.1:${gatewayPort(broker)}/api/health`);
			const body = (await res.json()) as { status: string; dependencies: Record<string, { status: string }> };
			expect(res.status).toBe(503);
			expect(body.status).toBe("DOWN");
			expect(body.dependencies.keyValue?.status).toBe("DOWN");
			expect(body.dependencies.database?.status).toBe("UP");
		} finally {
			await broker.stop();
		}
	});
});

describe("a message through Kafka", () => {
	it("when a message is sent to a Kafka channel, then a consumer on another node receives it", async () => {
		const topic = `test.kafka.${uniqueId()}`;
		const received: unknown[] = [];
		// EVENTS_URL=kafka:// gives every broker the channels middleware on Kafka; the consumer's topic
		// is created before it subscribes (KafkaTopicsMiddleware).
		const env = { NAMESPACE: testNamespace("kafka"), EVENTS_URL: infra.kafkaUrl };
		const consumer = await startBroker(testConfig({ ...env, NODE_ID: `consumer-${uniqueId()}` }), [
			{
				name: "listener",
				channels: {
					[topic]: {
						group: "listeners",
						handler(payload: unknown) {
							received.push(payload);
						},
					},
				},
			} as ServiceSchema,
		]);
		const producer = await startBroker(testConfig({ ...env, NODE_ID: `producer-${uniqueId()}` }));
		try {
			const payload = { orderId: `o-${uniqueId()}`, total: 42 };
			await (producer as unknown as { sendToChannel: (t: string, p: unknown) => Promise<void> }).sendToChannel(
				topic,
				payload,
			);
			await waitFor(async () => (received.length > 0 ? true : undefined), 30_000);
			expect(received).toEqual([payload]);
		} finally {
			await Promise.all([producer.stop(), consumer.stop()]);
		}
	});
});
