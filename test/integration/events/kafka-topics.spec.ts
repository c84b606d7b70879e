/**
 * A node creates every topic the shop uses with EVENTS_KAFKA_PARTITIONS partitions: those its services
 * consume, the dead-letter topic, and those any service produces (before: produced topics were left to
 * Kafka's creation on first use, with the broker's default of 3 partitions, while consumed ones had 6).
 */
import type { Admin } from "kafkajs";
import type { ServiceBroker, ServiceSchema } from "moleculer";
import { PRODUCED_TOPICS } from "../../../lib/events/shop-topics";
import { startBroker, testConfig, uniqueId } from "../../support/brokers";
import { infra } from "../../support/infra";
import { kafkaAdmin, partitionCounts } from "../../support/kafka-groups";
import { testNamespace } from "../../support/test-namespaces";

/** Neither the broker's default (3 on the local Kafka) nor ours (6): only the setting can give it. */
const PARTITIONS = 4;

describe("Kafka topics a node creates", () => {
	let broker: ServiceBroker | undefined;
	let admin: Admin;

	beforeAll(async () => {
		admin = await kafkaAdmin(infra.kafkaUrl);
	});
	afterAll(async () => {
		await broker?.stop();
		await admin?.disconnect();
	});

	it("when a node starts, then every topic the shop produces or consumes has EVENTS_KAFKA_PARTITIONS partitions", async () => {
		const namespace = testNamespace("kafka");
		const consumer = {
			name: "topics-probe",
			channels: { "probe.consumed.v1": { group: "topics-probe", handler: async () => undefined } },
		} as unknown as ServiceSchema;
		broker = await startBroker(
			testConfig({
				EVENTS_URL: infra.kafkaUrl,
				NAMESPACE: namespace,
				NODE_ID: `topics-${uniqueId()}`,
				EVENTS_KAFKA_PARTITIONS: String(PARTITIONS),
			}),
			[consumer],
		);

		const expected = [...PRODUCED_TOPICS, "probe.consumed.v1", "DEAD_LETTER"].map((t) => `${namespace}.${t}`);
		const created = (await admin.listTopics()).filter((t) => t.startsWith(`${namespace}.`));
		expect(created.sort()).toEqual([...expected].sort());
		const counts = await partitionCounts(admin, expected);
		expect(counts).toEqual(Object.fromEntries(expected.map((t) => [t, PARTITIONS])));
	});
});
