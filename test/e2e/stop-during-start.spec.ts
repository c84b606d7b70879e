/**
 * A node stopped at any moment of its start ends, and hands its Kafka partitions back: a peer of the
 * same consumer group then processes what is published. Measured before the fix: a SIGTERM while the
 * channels subscribed left the node running for good ("Processing 1 active connections(s)..." every
 * second), its consumers rejoined their groups after the stop began, and events routed to it waited.
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

/** A clean stop takes seconds (a consumer's current fetch, a join under way); the node's own bound is 30 s. */
const EXITS_WITHIN_MS = 35_000;
/**
 * A member that vanished without leaving keeps its partitions for the session timeout (below: 45 s);
 * one that left hands them over at the peer's next heartbeat (4.5 s) and fetch (at most 5 s).
 */
const PEER_PROCESSES_WITHIN_MS = 25_000;

type StartBeforeSignal = "cut short" | "finished" | "either";

const SIGNALLED = /SIGTERM received, stopping|start cut short by SIGTERM: stopping/;
const SUCCEEDED = /ServiceBroker with \d+ service\(s\) started successfully/;
const CUT_SHORT = "start cut short by SIGTERM: stopping";

/**
 * Moleculer logs "started successfully" at the end of a start even when a stop overtook it; an operator reading
 * that just before the exit was misled. Now a start the signal overtook says so in one line, and success is
 * claimed only before the signal.
 */
function expectTruthfulStartLog(log: string, expected: StartBeforeSignal): void {
	const signalledAt = log.search(SIGNALLED);
	expect(signalledAt).toBeGreaterThanOrEqual(0);
	const afterSignal = log.slice(signalledAt);
	expect(afterSignal).not.toMatch(SUCCEEDED);
	const finished = SUCCEEDED.test(log.slice(0, signalledAt));
	if (expected !== "either") expect(finished).toBe(expected === "finished");
	expect(log.split(CUT_SHORT).length - 1).toBe(finished ? 0 : 1);
}

describe("a node stopped while it starts (Kafka events)", () => {
	const namespace = testNamespace("e2e");
	const shared = {
		TRANSPORTER: infra.natsUrl,
		DATABASE_URL: infra.databaseUrl,
		EVENTS_URL: infra.kafkaUrl,
		DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
		NAMESPACE: namespace,
		EVENTS_KAFKA_SESSION_TIMEOUT_MS: "45000",
	};
	const topic = `${namespace}.${TOPIC.orderCancelled}`;
	const groupId = channelGroupId("inventory", topic);
	const nodes: NodeProcess[] = [];
	let client: ServiceBroker;
	let admin: Admin;

	beforeAll(async () => {
		const peer = NodeProcess.start({ ...shared, NODE_ID: `peer-${uniqueId()}`, SERVICES: "inventory" });
		nodes.push(peer);
		await peer.waitForOutput(/started successfully/, 90_000);
		client = await startBroker(testConfig({ ...shared, NODE_ID: `client-${uniqueId()}` }));
		admin = await kafkaAdmin(infra.kafkaUrl);
	}, 120_000);

	afterAll(async () => {
		await admin?.disconnect();
		await client?.stop();
		await Promise.all(nodes.map((n) => n.stop("SIGKILL")));
	});

	// Where in the start the signal lands: before the services, before the channels, while the first
	// consumer joins its group (it waits for the peer to rejoin), a few consumers later, and after it.
	// The last column: whether the start may have finished before the signal (then its success was true).
	const points: Array<[string, RegExp, number, StartBeforeSignal]> = [
		["while the transporter connects", /Connecting to the transporter/, 0, "cut short"],
		["when the channels begin to subscribe", /Subscribing to \d+ channels/, 0, "cut short"],
		["while the first consumers join their groups", /Subscribing to \d+ channels/, 2_500, "either"],
		["while later consumers join their groups", /Subscribing to \d+ channels/, 7_000, "either"],
		["once it has started", /started successfully/, 0, "finished"],
	];

	it.each(points)(
		"when SIGTERM arrives %s, then it exits 0 in bounded time, its log claims no success after the signal, and the peer processes the events",
		async (_point, marker, delayMs, startsBeforeSignal) => {
			const node = NodeProcess.start({ ...shared, NODE_ID: `starting-${uniqueId()}`, SERVICES: "inventory" });
			nodes.push(node);
			await node.waitForOutput(marker, 90_000);
			await sleep(delayMs);
			const signalledAt = Date.now();
			node.child.kill("SIGTERM");
			expect(await node.waitForExit(EXITS_WITHIN_MS)).toBe(0);
			expect(Date.now() - signalledAt).toBeLessThan(EXITS_WITHIN_MS);
			expectTruthfulStartLog(node.text(), startsBeforeSignal);

			// Keys spread over every partition; all must be processed, by the peer alone now.
			for (let i = 0; i < 24; i++) {
				const orderId = `stop-${uniqueId()}`;
				await publishEvent(
					client,
					newEvent(TOPIC.orderCancelled, orderId, { orderId, reason: "test" }, `corr-${orderId}`),
				);
			}
			await waitFor(
				"the peer to process every partition",
				async () => ((await partitionsBehind(admin, groupId, topic)).length === 0 ? true : undefined),
				PEER_PROCESSES_WITHIN_MS,
				250,
			);
		},
		EXITS_WITHIN_MS + PEER_PROCESSES_WITHIN_MS + 120_000,
	);
});
