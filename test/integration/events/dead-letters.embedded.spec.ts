/**
 * Dead letters in embedded mode (SQLite, in-process events adapter): a message a group cannot handle is kept
 * with its bytes, key, headers, group and error, and a requeue sends exactly that back to the failing group
 * only. (The same over real Kafka: dead-letters.kafka.spec.ts.)
 */
import type { ServiceBroker, ServiceSchema } from "moleculer";
import type { DeadLetter } from "../../../services/events/dead-letter.repository";
import eventsService from "../../../services/events/events.service";
import { startBroker, testConfig, uniqueId } from "../../support/brokers";
import { waitFor } from "../../support/events/harness";

const PARCEL_SENT = "parcel.sent.v1";
const NOT_JSON = Buffer.from([0x7b, 0x6f, 0x6b, 0xff, 0x00]);

interface Adapter {
	publish(channel: string, payload: unknown, opts: unknown): Promise<void>;
}

/** "picky" fails on everything; "relaxed" takes any bytes and counts what it got. */
function consumers(relaxedGot: Buffer[]): ServiceSchema[] {
	return [
		{
			name: "picky",
			channels: {
				[PARCEL_SENT]: {
					group: "picky",
					handler() {
						throw new Error("picky refuses every parcel");
					},
				},
			},
		},
		{
			name: "relaxed",
			channels: {
				[PARCEL_SENT]: { group: "relaxed", rawPayload: true, handler: (bytes: Buffer) => void relaxedGot.push(bytes) },
			},
		},
	] as unknown as ServiceSchema[];
}

describe("dead letters in embedded mode", () => {
	let broker: ServiceBroker | undefined;

	afterEach(async () => {
		await broker?.stop();
		broker = undefined;
	});

	it("when a group cannot handle a message, then its dead letter keeps bytes, key, headers, group and error, and a requeue reaches that group alone", async () => {
		const config = testConfig({ NODE_ID: `embedded-${uniqueId()}`, EVENTS_MAX_RETRIES: "2", LOG_LEVEL: "fatal" });
		const relaxedGot: Buffer[] = [];
		broker = await startBroker(config, [eventsService(config), ...consumers(relaxedGot)]);
		const adapter = (broker as unknown as { channelAdapter: Adapter }).channelAdapter;
		const channel = `${config.namespace}.${PARCEL_SENT}`;
		const key = `parcel-${uniqueId()}`;
		const letters = () => (broker as ServiceBroker).call<DeadLetter[], object>("events.deadLetters", { limit: 1000 });

		await adapter.publish(channel, NOT_JSON, { raw: true, key, headers: { trace: `t-${key}` } });
		const letter = await waitFor("the dead letter", async () => (await letters()).find((l) => l.messageKey === key));

		expect(letter).toMatchObject({
			originalChannel: channel,
			originalGroup: "picky",
			originalPartition: null,
			originalOffset: null,
			headers: { trace: `t-${key}` },
			payload: null,
			rawPayloadBase64: NOT_JSON.toString("base64"),
		});
		expect(letter.error).toMatch(/JSON/);
		expect(relaxedGot).toEqual([NOT_JSON]);

		await broker.call("events.requeueDeadLetter", { id: letter.id });
		const again = await waitFor("the requeued message's dead letter", async () =>
			(await letters()).find((l) => l.messageKey === key && l.id !== letter.id),
		);
		expect(again).toMatchObject({
			originalGroup: "picky",
			headers: letter.headers,
			rawPayloadBase64: letter.rawPayloadBase64,
			error: letter.error,
		});
		// The group that handled it the first time did not get it again.
		expect(relaxedGot).toEqual([NOT_JSON]);
	});
});
