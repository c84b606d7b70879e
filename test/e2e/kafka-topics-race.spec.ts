/**
 * Nodes started while Kafka does not serve their topics yet wait and retry instead of exiting. On a
 * fresh broker a node crashed on its first start ("This server does not host this topic-partition":
 * topics created a moment before, by it or another node, were not served yet when its consumers
 * joined). Here the race is made certain: the namespace's topics are deleted again and again while
 * two nodes start at once. Before the fix, 2 of 3 nodes exited 1 with that message.
 */
import type { Admin } from "kafkajs";
import type { ServiceBroker } from "moleculer";
import { TOPIC } from "../../lib/events/checkout-topics";
import { newEvent } from "../../lib/events/event-envelope";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { publishEvent } from "../support/checkout";
import { sleep, waitFor } from "../support/events/harness";
import { infra } from "../support/infra";
import { channelGroupId, kafkaAdmin, partitionsBehind } from "../support/kafka-groups";
import { NodeProcess } from "../support/node-process";
import { testNamespace } from "../support/test-namespaces";

/** How long topics keep disappearing once a node's services have started (its topics come next). */
const DELETING_FOR_MS = 6_000;

describe("nodes starting while Kafka does not serve their topics", () => {
	const namespace = testNamespace("e2e");
	const shared = {
		TRANSPORTER: infra.natsUrl,
		DATABASE_URL: infra.databaseUrl,
		EVENTS_URL: infra.kafkaUrl,
		DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
		NAMESPACE: namespace,
	};
	const nodes: NodeProcess[] = [];
	let client: ServiceBroker | undefined;
	let admin: Admin;

	beforeAll(async () => {
		admin = await kafkaAdmin(infra.kafkaUrl);
	});

	afterAll(async () => {
		await client?.stop();
		await admin?.disconnect();
		await Promise.all(nodes.map((n) => n.stop("SIGKILL")));
	});

	/** Deletes the namespace's topics whenever they appear; returns how many it deleted. */
	async function deleteTopicsFor(ms: number): Promise<number> {
		let deleted = 0;
		const until = Date.now() + ms;
		while (Date.now() < until) {
			const ours = (await admin.listTopics()).filter((t) => t.startsWith(`${namespace}.`));
			if (ours.length > 0) {
				await admin.deleteTopics({ topics: ours }).catch(() => undefined);
				deleted += ours.length;
			}
			await sleep(300);
		}
		return deleted;
	}

	it("when their topics keep disappearing during the start, then they wait, say so, start and consume", async () => {
		for (const services of ["inventory", "orders,payments"]) {
			nodes.push(NodeProcess.start({ ...shared, NODE_ID: `race-${uniqueId()}`, SERVICES: services }));
		}
		await Promise.any(nodes.map((n) => n.waitForOutput(/Service '\w+' started/, 90_000)));
		expect(await deleteTopicsFor(DELETING_FOR_MS)).toBeGreaterThan(0);

		// waitForOutput fails at once if a node exits.
		for (const node of nodes) await node.waitForOutput(/started successfully/, 120_000);
		const output = nodes.map((n) => n.text()).join("");
		expect(output).toMatch(/Waiting for Kafka/);
		expect(output).not.toMatch(/failed to start node/);

		// The consumers work: inventory's group processes what is published now.
		client = await startBroker(testConfig({ ...shared, NODE_ID: `client-${uniqueId()}` }));
		const topic = `${namespace}.${TOPIC.orderCancelled}`;
		for (let i = 0; i < 12; i++) {
			const orderId = `race-${uniqueId()}`;
			await publishEvent(client, newEvent(TOPIC.orderCancelled, orderId, { orderId }, `corr-${orderId}`));
		}
		await waitFor(
			"inventory to process the events",
			async () =>
				(await partitionsBehind(admin, channelGroupId("inventory", topic), topic)).length === 0 ? true : undefined,
			60_000,
			250,
		);
		for (const node of nodes) expect(node.child.exitCode).toBeNull();
	}, 300_000);
});
