import { ServiceBroker, type ServiceSchema } from "moleculer";
import { CoalescingNatsTransporter } from "../../lib/cluster/coalescing-nats-transporter";
import { gatherAtPhaseEnd } from "../../lib/cluster/end-of-phase";
import { uniqueId } from "../support/brokers";
import { waitFor } from "../support/events/harness";
import { infra } from "../support/infra";
import { testNamespace } from "../support/test-namespaces";

/** nats.js's socket writer, reached through the transporter's client (not public API: counting only). */
type Writer = { send(frame: Uint8Array): void };
function socketWriterOf(broker: ServiceBroker): Writer {
	const transporter = (broker.transit as unknown as { tx: { client: { protocol: { transport: Writer } } } }).tx;
	return transporter.client.protocol.transport;
}

/** Runs `body` with `broker`'s socket writes counted (`writes()` reads the count so far). */
async function countingWrites<T>(broker: ServiceBroker, body: (writes: () => number) => Promise<T>): Promise<T> {
	const writer = socketWriterOf(broker);
	const original = writer.send.bind(writer);
	let count = 0;
	writer.send = (frame) => {
		count++;
		original(frame);
	};
	try {
		return await body(() => count);
	} finally {
		writer.send = original;
	}
}

function brokerOn(namespace: string, name: string, services: ServiceSchema[] = [], coalescing = true): ServiceBroker {
	const broker = new ServiceBroker({
		namespace,
		nodeID: `${name}-${uniqueId()}`,
		logger: false,
		transporter: coalescing
			? new CoalescingNatsTransporter({ url: infra.natsUrl })
			: { type: "NATS", options: { url: infra.natsUrl } },
	});
	for (const schema of services) broker.createService(schema);
	return broker;
}

describe("NATS transporter writing one turn's packets together", () => {
	const namespace = testNamespace("cluster");
	const received: number[] = [];
	const disconnects: Array<{ node: string; unexpected: boolean }> = [];
	const listener: ServiceSchema = {
		name: "listener",
		events: {
			"tick.happened"(ctx) {
				received.push((ctx.params as { n: number }).n);
			},
			"$node.disconnected"(ctx) {
				const { node, unexpected } = ctx.params as { node: { id: string }; unexpected: boolean };
				disconnects.push({ node: node.id, unexpected });
			},
		},
		actions: {
			echo(ctx) {
				return ctx.params;
			},
		},
	};
	let sender: ServiceBroker;
	let receiver: ServiceBroker;

	beforeAll(async () => {
		receiver = brokerOn(namespace, "receiver", [listener]);
		sender = brokerOn(namespace, "sender");
		await Promise.all([receiver.start(), sender.start()]);
		await sender.waitForServices("listener", 10_000);
	});
	afterAll(async () => {
		await Promise.all([sender?.stop(), receiver?.stop()]);
	});

	/**
	 * Emits 200 events, each from its own task of one event-loop phase (as requests arriving together
	 * on many sockets are), and counts the sender's socket writes until all 200 arrived.
	 */
	async function writesFor200Events(from: ServiceBroker): Promise<number> {
		received.length = 0;
		const writes = await countingWrites(from, async (writes) => {
			for (let n = 0; n < 200; n++) setImmediate(() => from.emit("tick.happened", { n }));
			await waitFor("all 200 events", () => received.length === 200 || undefined, 10_000, 20);
			return writes();
		});
		expect(received).toEqual(Array.from({ length: 200 }, (_, n) => n));
		return writes;
	}

	it("writes the packets of one event-loop phase together, in order", async () => {
		// ~76 KB of packets: nats.js writes at most 32 KB at a time (its pendingLimit), so three writes,
		// and a heartbeat may take one of its own.
		expect(await writesFor200Events(sender)).toBeLessThanOrEqual(4);
	});

	it("(Moleculer's own NATS transporter writes each of them on its own)", async () => {
		const plain = brokerOn(namespace, "plain", [], false);
		await plain.start();
		try {
			await plain.waitForServices("listener", 10_000);
			expect(await writesFor200Events(plain)).toBeGreaterThanOrEqual(100);
		} finally {
			await plain.stop();
		}
	});

	it("writes a packet sent by a gathering at the end of a phase in that same check phase, not a turn later", async () => {
		// As the inventory's caller groups leave: a busy gateway's next turn starts with a burst of HTTP requests.
		received.length = 0;
		const writesWhenTheNextTurnBegins = await countingWrites(
			sender,
			(writes) =>
				new Promise<number>((resolve) =>
					gatherAtPhaseEnd(() => {
						// Queued first: anything written only in the next turn would be written after this runs.
						setImmediate(() => resolve(writes()));
						sender.emit("tick.happened", { n: 7 });
					}),
				),
		);
		expect(writesWhenTheNextTurnBegins).toBeGreaterThanOrEqual(1);
		await waitFor("the event", () => received.length === 1 || undefined, 10_000, 20);
		expect(received).toEqual([7]);
	});

	it("answers calls made concurrently, each with its own reply", async () => {
		const answers = await Promise.all(
			Array.from({ length: 100 }, (_, i) => sender.call<{ i: number }, { i: number }>("listener.echo", { i })),
		);
		expect(answers.map((a) => a.i)).toEqual(Array.from({ length: 100 }, (_, i) => i));
	});

	it("fails the send of a packet NATS refuses, without throwing where nothing could catch it", async () => {
		const transporter = new CoalescingNatsTransporter({ url: infra.natsUrl });
		const broker = new ServiceBroker({ namespace, nodeID: `closed-${uniqueId()}`, logger: false, transporter });
		await broker.start();
		const client = (transporter as unknown as { client: { close(): Promise<void> } }).client;
		try {
			await client.close();
			await expect(transporter.send("closed.topic", Buffer.from("x"))).rejects.toThrow(/CLOSED/i);
			// The queue is not stuck behind the refused packet: the next send is taken (and refused) too.
			await expect(transporter.send("closed.topic", Buffer.from("y"))).rejects.toThrow(/CLOSED/i);
		} finally {
			await broker.stop().catch(() => undefined);
		}
	});

	it("still sends the goodbye when a node stops right after sending", async () => {
		const leaving = brokerOn(namespace, "leaving");
		await leaving.start();
		await leaving.waitForServices("listener", 10_000);
		received.length = 0;
		leaving.emit("tick.happened", { n: -1 });
		await leaving.stop();
		await waitFor("the goodbye", () => disconnects.find((d) => d.node === leaving.nodeID), 10_000, 20);
		expect(received).toEqual([-1]);
		expect(disconnects.find((d) => d.node === leaving.nodeID)?.unexpected).toBe(false);
	});
});
