/**
 * The Kafka adapter's consumers start and stop cleanly whatever the order of events: a subscription
 * waits (bounded, saying so) for a topic Kafka does not serve yet instead of failing the node's start;
 * an unsubscribe that comes first, or in the middle of a subscription, leaves no consumer behind, so the
 * adapter's disconnect ends and the group gets its partitions back.
 */
import type { Admin } from "kafkajs";
import type { ServiceBroker } from "moleculer";
import type { ShopKafkaAdapter } from "../../../lib/events/kafka-adapter";
import { startBroker, testConfig, uniqueId } from "../../support/brokers";
import { sleep, waitFor } from "../../support/events/harness";
import { infra } from "../../support/infra";
import { channelGroupId, kafkaAdmin } from "../../support/kafka-groups";
import { testNamespace } from "../../support/test-namespaces";

type Channel = Parameters<ShopKafkaAdapter["subscribe"]>[0];

describe("Kafka consumers' lifecycle", () => {
	const namespace = testNamespace("kafka");
	let broker: ServiceBroker;
	let adapter: ShopKafkaAdapter;
	let admin: Admin;
	let received: unknown[];
	/** Channels made here are not the channels middleware's: it would not unsubscribe them when the broker stops. */
	let channels: Channel[];

	beforeAll(async () => {
		admin = await kafkaAdmin(infra.kafkaUrl);
	});
	afterAll(async () => {
		await admin?.disconnect();
	});
	beforeEach(async () => {
		received = [];
		channels = [];
		broker = await startBroker(
			testConfig({ EVENTS_URL: infra.kafkaUrl, NAMESPACE: namespace, NODE_ID: `lifecycle-${uniqueId()}` }),
		);
		adapter = (broker as unknown as { channelAdapter: ShopKafkaAdapter }).channelAdapter;
	});
	afterEach(async () => {
		await Promise.all(channels.map((chan) => adapter.unsubscribe(chan)));
		await broker.stop();
	});

	/** A channel as the channels middleware hands it to the adapter, on `topic`, never auto-creating it. */
	function channelOn(topic: string): Channel {
		const chan = {
			id: `${namespace}.lifecycle.${uniqueId()}`,
			name: topic,
			group: `lifecycle-${uniqueId()}`,
			unsubscribing: false,
			maxRetries: 0,
			deadLettering: { enabled: false },
			kafka: { fromBeginning: true, allowAutoTopicCreation: false },
			handler: async (payload: unknown) => {
				received.push(payload);
			},
		} as unknown as Channel;
		channels.push(chan);
		return chan;
	}

	async function newTopic(): Promise<string> {
		const topic = `${namespace}.lifecycle-${uniqueId()}`;
		await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
		return topic;
	}

	async function members(chan: Channel): Promise<number> {
		const { groups } = await admin.describeGroups([channelGroupId(chan.group, chan.name)]);
		return groups[0]?.members.length ?? 0;
	}

	it("when its topic does not exist yet, then subscribe waits, says so, and consumes once it does", async () => {
		const warn = jest.spyOn(adapter.logger, "warn");
		const chan = channelOn(`${namespace}.late-${uniqueId()}`);
		const subscribed = adapter.subscribe(chan);
		await sleep(2_500);
		await admin.createTopics({ topics: [{ topic: chan.name, numPartitions: 2 }], waitForLeaders: true });
		await subscribed;
		expect(warn.mock.calls.map((args: unknown[]) => String(args[0])).join("\n")).toMatch(
			new RegExp(`Waiting for Kafka to serve '${chan.name}'`),
		);

		await adapter.publish(chan.name, { hello: "late" });
		await waitFor("the message", () => (received.length > 0 ? true : undefined), 30_000);
		expect(received).toEqual([{ hello: "late" }]);
	}, 60_000);

	it("when it is unsubscribed while its subscription waits for the topic, then both end and no consumer is left", async () => {
		const chan = channelOn(`${namespace}.never-${uniqueId()}`);
		const subscribed = adapter.subscribe(chan);
		await sleep(1_500);
		await adapter.unsubscribe(chan);
		await subscribed;
		expect(adapter.consumers.has(chan.id)).toBe(false);
		expect(adapter.activeMessages.has(chan.id)).toBe(false);
	}, 30_000);

	it("when it is unsubscribed before its subscription begins (a stop during a start), then no consumer starts and the adapter disconnects", async () => {
		const chan = channelOn(await newTopic());
		await adapter.unsubscribe(chan);
		await adapter.subscribe(chan);
		expect(adapter.consumers.has(chan.id)).toBe(false);
		const disconnected = adapter.disconnect().then(() => "disconnected");
		expect(await Promise.race([disconnected, sleep(15_000).then(() => "still disconnecting")])).toBe("disconnected");
	}, 30_000);

	it("when it is unsubscribed while its consumer joins the group, then it leaves the group once joined", async () => {
		const chan = channelOn(await newTopic());
		const subscribed = adapter.subscribe(chan);
		await sleep(50);
		await Promise.all([subscribed, adapter.unsubscribe(chan)]);
		expect(adapter.consumers.has(chan.id)).toBe(false);
		// A member that vanished without leaving would stay for its session timeout (30 s).
		await waitFor("the group to be empty", async () => ((await members(chan)) === 0 ? true : undefined), 10_000, 250);
	}, 60_000);
});
