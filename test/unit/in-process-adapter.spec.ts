import { randomUUID } from "node:crypto";
import { Middleware as ChannelsMiddleware } from "@moleculer/channels";
import { type BrokerOptions, type Context, type Middleware, ServiceBroker, type ServiceSchema } from "moleculer";
import { type InProcessMessage, registerInProcessAdapter } from "../../lib/events/in-process-adapter";

type Handler = (payload: any, raw: InProcessMessage) => unknown;

interface ChannelDef {
	group?: string;
	maxRetries?: number;
	maxInFlight?: number;
	context?: boolean;
	deadLettering?: { enabled: boolean; queueName: string };
	rawPayload?: boolean;
	handler: Handler;
}

interface SendOptions {
	key?: string;
	headers?: Record<string, string>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error("condition not met in time");
		await sleep(5);
	}
}

/** A service schema with `channels`, which moleculer's ServiceSchema type does not know about. */
function consumer(name: string, channels: Record<string, ChannelDef>): ServiceSchema {
	return { name, channels } as unknown as ServiceSchema;
}

function send(broker: ServiceBroker, channel: string, payload: unknown, opts?: SendOptions): Promise<void> {
	const { sendToChannel } = broker as unknown as {
		sendToChannel: (channel: string, payload: unknown, opts?: SendOptions) => Promise<void>;
	};
	return sendToChannel(channel, payload, opts);
}

/** The channels middleware on the in-process adapter (its typings want every middleware option spelled out). */
function inProcessChannels(retryDelayMs: number): Middleware {
	const options = { adapter: { type: "InProcess", options: { retryDelayMs } } };
	return ChannelsMiddleware(options as unknown as Parameters<typeof ChannelsMiddleware>[0]) as unknown as Middleware;
}

const DEAD_LETTER = { enabled: true, queueName: "DEAD_LETTER" };

describe("InProcessAdapter", () => {
	registerInProcessAdapter();

	/** Channels are process-wide: a namespace per test (the channel prefix) keeps tests apart. */
	let namespace: string;
	let running: ServiceBroker[] = [];

	beforeEach(() => {
		namespace = `inproc-${randomUUID().slice(0, 8)}`;
	});

	afterEach(async () => {
		await Promise.all(running.map((broker) => broker.stop()));
		running = [];
	});

	async function startBroker(services: ServiceSchema[], extra: Partial<BrokerOptions> = {}): Promise<ServiceBroker> {
		const broker = new ServiceBroker({
			namespace,
			nodeID: `node-${randomUUID().slice(0, 8)}`,
			logger: false,
			middlewares: [inProcessChannels(5)],
			...extra,
		});
		for (const schema of services) broker.createService(schema);
		await broker.start();
		running.push(broker);
		return broker;
	}

	async function stopBroker(broker: ServiceBroker): Promise<void> {
		running = running.filter((other) => other !== broker);
		await broker.stop();
	}

	it("when messages are sent, then every group receives each of them once, in order", async () => {
		const billing: number[] = [];
		const shipping: number[] = [];
		const broker = await startBroker([
			consumer("billing", { "order.placed": { group: "billing", handler: (p) => void billing.push(p.n) } }),
			consumer("shipping", { "order.placed": { group: "shipping", handler: (p) => void shipping.push(p.n) } }),
		]);

		for (const n of [1, 2, 3]) await send(broker, "order.placed", { n });
		await waitFor(() => billing.length === 3 && shipping.length === 3);
		await sleep(30);

		expect(billing).toEqual([1, 2, 3]);
		expect(shipping).toEqual([1, 2, 3]);
	});

	it("when two services in two brokers share a group, then they take turns with its messages", async () => {
		const byNode = new Map<string, number[]>();
		const worker = (): ServiceSchema =>
			consumer("worker", {
				jobs: {
					group: "workers",
					// Free slots on both sides: who gets a message is down to the turn-taking alone.
					maxInFlight: 10,
					async handler(this: { broker: ServiceBroker }, p) {
						await sleep(2);
						const seen = byNode.get(this.broker.nodeID) ?? [];
						seen.push(p.n);
						byNode.set(this.broker.nodeID, seen);
					},
				},
			});
		const first = await startBroker([worker()]);
		const second = await startBroker([worker()]);

		for (let n = 1; n <= 10; n++) await send(first, "jobs", { n });
		await waitFor(() => [...byNode.values()].flat().length === 10);
		await sleep(30);

		const all = [...byNode.values()].flat();
		expect(all.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
		expect(byNode.get(first.nodeID)).toHaveLength(5);
		expect(byNode.get(second.nodeID)).toHaveLength(5);
	});

	it("when a handler fails twice, then the third attempt succeeds and nothing is dead-lettered", async () => {
		const redeliveryHeaders: unknown[] = [];
		const deadLetters: unknown[] = [];
		const broker = await startBroker([
			consumer("flaky", {
				payments: {
					maxRetries: 3,
					deadLettering: DEAD_LETTER,
					handler(_p, raw) {
						redeliveryHeaders.push(raw.headers["x-redelivered-count"]);
						if (redeliveryHeaders.length < 3) throw new Error("temporarily down");
					},
				},
			}),
			consumer("inspector", { DEAD_LETTER: { handler: (p) => void deadLetters.push(p) } }),
		]);

		await send(broker, "payments", { id: "p1" });
		await waitFor(() => redeliveryHeaders.length === 3);
		await sleep(50);

		expect(redeliveryHeaders).toEqual([undefined, "1", "2"]);
		expect(deadLetters).toEqual([]);
	});

	it("when a message always fails, then it is tried maxRetries times and lands in DEAD_LETTER with its origin", async () => {
		let attempts = 0;
		const deadLetters: Array<{ payload: unknown; headers: Record<string, unknown> }> = [];
		const broker = await startBroker(
			[
				consumer("payments", {
					"payment.requested": {
						group: "payments-group",
						maxRetries: 3,
						deadLettering: DEAD_LETTER,
						handler() {
							attempts++;
							throw new TypeError("card number is not a number");
						},
					},
				}),
				consumer("inspector", {
					DEAD_LETTER: { handler: (payload, raw) => void deadLetters.push({ payload, headers: raw.headers }) },
				}),
			],
			{ metrics: { enabled: true, reporter: [] } },
		);

		await send(broker, "payment.requested", { id: "poison" }, { headers: { trace: "t-1" } });
		await waitFor(() => deadLetters.length === 1);
		await sleep(50);

		expect(attempts).toBe(3);
		expect(deadLetters).toHaveLength(1);
		expect(deadLetters[0]!.payload).toEqual({ id: "poison" });
		expect(deadLetters[0]!.headers).toMatchObject({
			trace: "t-1",
			"x-original-channel": `${namespace}.payment.requested`,
			"x-original-group": "payments-group",
			"x-error-message": "card number is not a number",
			"x-error-name": "TypeError",
		});
		const labels = { channel: `${namespace}.payment.requested`, group: "payments-group" };
		const counter = (name: string) =>
			broker.metrics.getMetric(`moleculer.channels.messages.${name}`)?.get(labels)?.value;
		expect(counter("errors.total")).toBe(3);
		expect(counter("retries.total")).toBe(2);
		expect(counter("deadLettering.total")).toBe(1);
	});

	it("when a requeue publishes raw bytes addressed to one group, then only that group gets them, as bytes on a rawPayload channel", async () => {
		const store: Array<{ payload: unknown; key: string | undefined }> = [];
		const billing: unknown[] = [];
		const broker = await startBroker([
			consumer("store", {
				"order.placed": {
					group: "store",
					rawPayload: true,
					handler: (p, raw) => void store.push({ payload: p, key: raw.key }),
				},
			}),
			consumer("billing", { "order.placed": { group: "billing", handler: (p) => void billing.push(p) } }),
		]);
		const { channelAdapter } = broker as unknown as {
			channelAdapter: { publish(channel: string, payload: unknown, opts: unknown): Promise<void> };
		};
		const bytes = Buffer.from([0x7b, 0xff, 0x00, 0x22]);

		await channelAdapter.publish(`${namespace}.order.placed`, bytes, {
			raw: true,
			key: "k-1",
			headers: { "x-group": "store" },
		});
		await send(broker, "order.placed", { n: 2 });
		await waitFor(() => store.length === 2 && billing.length === 1);
		await sleep(30);

		expect(store[0]).toEqual({ payload: bytes, key: "k-1" });
		expect(JSON.parse(String(store[1]!.payload))).toEqual({ n: 2 });
		expect(billing).toEqual([{ n: 2 }]);
	});

	it("when a failing message is not dead-lettered, then it is dropped and the next message still gets through", async () => {
		const attempts: string[] = [];
		const broker = await startBroker([
			consumer("strict", {
				orders: {
					maxRetries: 2,
					handler(p) {
						attempts.push(p.id);
						if (p.id === "bad") throw new Error("invalid");
					},
				},
			}),
		]);

		await send(broker, "orders", { id: "bad" });
		await send(broker, "orders", { id: "good" });
		await waitFor(() => attempts.includes("good"));
		await sleep(50);

		expect(attempts).toEqual(["bad", "bad", "good"]);
	});

	it("when messages share a key and maxInFlight is above 1, then each key is handled in publish order", async () => {
		const done = new Map<string, number[]>([
			["a", []],
			["b", []],
		]);
		let active = 0;
		let maxActive = 0;
		let failedOnce = false;
		const broker = await startBroker([
			consumer("ledger", {
				entries: {
					maxInFlight: 5,
					maxRetries: 3,
					async handler(p: { key: string; n: number }) {
						active++;
						maxActive = Math.max(maxActive, active);
						try {
							// Earlier messages take longer: without per-key order, later ones would finish first.
							await sleep((5 - p.n) * 8);
							if (p.key === "a" && p.n === 1 && !failedOnce) {
								failedOnce = true;
								throw new Error("retry me");
							}
							done.get(p.key)!.push(p.n);
						} finally {
							active--;
						}
					},
				},
			}),
		]);

		for (let n = 0; n < 5; n++) {
			for (const key of ["a", "b"]) await send(broker, "entries", { key, n }, { key });
		}
		await waitFor(() => done.get("a")!.length === 5 && done.get("b")!.length === 5);

		expect(done.get("a")).toEqual([0, 1, 2, 3, 4]);
		expect(done.get("b")).toEqual([0, 1, 2, 3, 4]);
		expect(failedOnce).toBe(true);
		expect(maxActive).toBe(2);
	});

	it("when a broker stops during a handler, then stop waits for it and starts no further message", async () => {
		const started: number[] = [];
		const finished: number[] = [];
		const broker = await startBroker([
			consumer("slow", {
				reports: {
					async handler(p) {
						started.push(p.n);
						await sleep(150);
						finished.push(p.n);
					},
				},
			}),
		]);

		await send(broker, "reports", { n: 1 });
		await send(broker, "reports", { n: 2 });
		await waitFor(() => started.length === 1);
		await stopBroker(broker);

		expect(finished).toEqual([1]);
		await sleep(200);
		expect(started).toEqual([1]);
	});

	it("when the only subscriber of a group comes back, then it gets what was published while it was away", async () => {
		const received: number[] = [];
		const subscriber = () => consumer("mailer", { signups: { handler: (p) => void received.push(p.n) } });
		const publisher = await startBroker([]);
		const first = await startBroker([subscriber()]);

		await send(publisher, "signups", { n: 1 });
		await waitFor(() => received.length === 1);
		await stopBroker(first);
		await send(publisher, "signups", { n: 2 });
		await send(publisher, "signups", { n: 3 });
		await sleep(30);
		expect(received).toEqual([1]);

		await startBroker([subscriber()]);
		await waitFor(() => received.length === 3);
		expect(received).toEqual([1, 2, 3]);
	});

	it("when a subscriber stops while a message waits for a retry, then stop skips the backoff and the next subscriber retries it", async () => {
		const attempts: unknown[] = [];
		const subscriber = (fail: boolean) =>
			consumer("importer", {
				imports: {
					maxRetries: 5,
					handler(_p, raw) {
						attempts.push(raw.headers["x-redelivered-count"]);
						if (fail) throw new Error("not yet");
					},
				},
			});
		const publisher = await startBroker([]);
		const failing = await startBroker([subscriber(true)], { middlewares: [inProcessChannels(60_000)] });

		await send(publisher, "imports", { file: "a.csv" });
		await waitFor(() => attempts.length === 1);
		const stopStarted = Date.now();
		await stopBroker(failing);
		expect(Date.now() - stopStarted).toBeLessThan(1_000);

		await startBroker([subscriber(false)]);
		await waitFor(() => attempts.length === 2);
		expect(attempts).toEqual([undefined, "1"]);
	});

	it("when a channel had no group yet, then its messages go to the first group that subscribes, not to later ones", async () => {
		const first: number[] = [];
		const later: number[] = [];
		const publisher = await startBroker([]);

		await send(publisher, "audit", { n: 1 });
		await startBroker([consumer("archive", { audit: { handler: (p) => void first.push(p.n) } })]);
		await waitFor(() => first.length === 1);
		await startBroker([consumer("search", { audit: { handler: (p) => void later.push(p.n) } })]);
		await send(publisher, "audit", { n: 2 });
		await waitFor(() => first.length === 2 && later.length === 1);

		expect(first).toEqual([1, 2]);
		expect(later).toEqual([2]);
	});

	it("when a handler mutates its payload, then neither another group nor the sender sees the change", async () => {
		let mutated!: () => void;
		const mutatedOnce = new Promise<void>((resolve) => {
			mutated = resolve;
		});
		const seenByReader: unknown[] = [];
		const broker = await startBroker([
			consumer("mutator", {
				carts: {
					group: "mutator",
					handler(p) {
						p.items.push("injected");
						p.total = 0;
						mutated();
					},
				},
			}),
			consumer("reader", {
				carts: {
					group: "reader",
					async handler(p) {
						await mutatedOnce;
						seenByReader.push(p);
					},
				},
			}),
		]);

		const cart = { items: ["book"], total: 12 };
		await send(broker, "carts", cart);
		cart.items.push("added after send");
		await waitFor(() => seenByReader.length === 1);

		expect(seenByReader[0]).toEqual({ items: ["book"], total: 12 });
		expect(cart).toEqual({ items: ["book", "added after send"], total: 12 });
	});

	it("when a message is sent from an action, then a context handler gets the caller's meta and request id", async () => {
		const seen: Array<{ params: unknown; meta: unknown; requestID: unknown }> = [];
		const broker = await startBroker([
			{
				name: "checkout",
				actions: {
					async submit(ctx) {
						await send(ctx.broker, "order.submitted", { orderId: 7 }, { ctx } as SendOptions);
					},
				},
			},
			consumer("notifier", {
				"order.submitted": {
					context: true,
					handler: (ctx: Context) => void seen.push({ params: ctx.params, meta: ctx.meta, requestID: ctx.requestID }),
				},
			}),
		]);

		await broker.call("checkout.submit", {}, { meta: { tenant: "acme" }, requestID: "req-42" });
		await waitFor(() => seen.length === 1);

		expect(seen[0]).toEqual({ params: { orderId: 7 }, meta: { tenant: "acme" }, requestID: "req-42" });
	});

	it("when the adapter is not connected, then publishing fails instead of losing the message", async () => {
		const broker = await startBroker([]);
		await stopBroker(broker);

		await expect(send(broker, "late", { n: 1 })).rejects.toMatchObject({ retryable: true });
	});
});
