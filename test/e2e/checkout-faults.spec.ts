/**
 * The checkout saga under faults, on the cluster's parts: a private Kafka (stopped and started by the
 * test), MariaDB, NATS, and orders and payments in node processes of their own (two of each, so one
 * can be SIGKILLed). The edge, catalog and inventory run in the test's own broker. The sandbox
 * provider sends 30 % of its webhooks twice and holds 30 % back (out of order).
 * After each fault: every order ends exactly once, the stock is exactly what the ended orders say, and
 * money is taken only for CONFIRMED orders.
 */
import type { ServiceBroker } from "moleculer";
import type { AppConfig } from "../../config";
import { signAccessToken } from "../../lib/auth/access-token";
import authService from "../../services/auth/auth.service";
import eventsService from "../../services/events/events.service";
import gatewayService from "../../services/gateway/api.service";
import inventoryService from "../../services/inventory/inventory.service";
import productsService from "../../services/products/products.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { expectCheckoutConsistent, type PlacedOrder, untilAllEnded } from "../support/checkout-audit";
import { sleep, waitFor } from "../support/events/harness";
import { PrivateBroker } from "../support/events/private-broker";
import { api, gatewayBaseUrl } from "../support/http";
import { infra } from "../support/infra";
import { NodeProcess } from "../support/node-process";
import { testNamespace } from "../support/test-namespaces";

const PAYMENT_TIMEOUT_MS = 30_000;
const METHODS = ["sandbox_authorize", "sandbox_authorize", "sandbox_authorize", "sandbox_decline", "sandbox_no_answer"];

const withKafka = PrivateBroker.available("kafka") ? describe : describe.skip;

withKafka("checkout under faults (private Kafka, MariaDB, NATS, node processes)", () => {
	let kafka: PrivateBroker;
	let shop: ServiceBroker;
	let base: string;
	let admin: string;
	let auth: AppConfig["auth"];
	let shared: Record<string, string>;
	const nodes = new Map<string, { child: NodeProcess; nodeId: string }>();

	const startNode = (id: string, services: string) => {
		const nodeId = `${id}-${uniqueId()}`;
		nodes.set(id, { nodeId, child: NodeProcess.start({ ...shared, NODE_ID: nodeId, SERVICES: services }) });
	};
	/** A node is ready once its peers see its services (it announces them after they have started). */
	const nodeReady = (id: string) =>
		waitFor(
			`node ${id}`,
			() => {
				const { nodeId, child } = nodes.get(id) as { child: NodeProcess; nodeId: string };
				if (child.child.exitCode !== null) throw new Error(`${id} exited:\n${child.text()}`);
				const node = shop.registry.nodes.get(nodeId);
				return node?.available && node.services.length > 0 ? true : undefined;
			},
			90_000,
			200,
		);

	/**
	 * The audit, and on a failure the warnings and errors every node logged (the last 40 of each, Kafka
	 * consumers' among them): CI keeps only this output, and a hold left RESERVED after a broker outage
	 * (seen once, not reproduced) is a consumer's story.
	 */
	async function audit(...args: Parameters<typeof expectCheckoutConsistent>): Promise<void> {
		try {
			await expectCheckoutConsistent(...args);
		} catch (err) {
			for (const [id, { child }] of nodes) {
				const loud = child
					.text()
					.split("\n")
					.filter((line) => /"level":"(warn|error|fatal)"/.test(line))
					.slice(-40)
					.map((line) => line.slice(0, 400));
				process.stderr.write(
					`[checkout-faults] node ${id}: ${loud.length} warn/error line(s), last ones:\n${loud.join("\n")}\n`,
				);
			}
			throw err;
		}
	}

	/** `units` of a new product per SKU; returns the SKUs with what was added. */
	async function stockUp(count: number, units: number): Promise<Map<string, number>> {
		const added = new Map<string, number>();
		for (let i = 0; i < count; i++) {
			const sku = `F-${i}-${uniqueId()}`;
			const auth = { authorization: `Bearer ${admin}` };
			const product = { sku, name: sku, category: "faults", priceCents: 1000 + i, currency: "EUR" };
			expect((await api(base, "POST", "/api/products", product, auth)).status).toBe(201);
			expect((await api(base, "POST", "/api/inventory/stock", { sku, available: units }, auth)).status).toBe(200);
			added.set(sku, units);
		}
		return added;
	}

	/** Places `count` orders, `concurrency` at a time; `during(placed)` runs after each one is placed. */
	async function placeOrders(
		skus: string[],
		count: number,
		concurrency: number,
		during: (placed: number) => Promise<void> | void = () => undefined,
	): Promise<PlacedOrder[]> {
		const placed: PlacedOrder[] = [];
		let next = 0;
		const worker = async () => {
			while (next < count) {
				const i = next++;
				const token = await signAccessToken({ sub: `buyer-${i}-${uniqueId()}`, roles: ["customer"] }, auth);
				// One or two lines of different SKUs, spread over all of them.
				const lines = [skus[i % skus.length], skus[(i + 1) % skus.length]].slice(0, 1 + (i % 2));
				const items = [...new Set(lines)].map((sku) => ({ sku: sku as string, quantity: 1 }));
				// As a client does: a 5xx (the node that took the call died, or checkout is busy while the saga
				// is behind) is retried with the same key after Retry-After, which answers the order if the
				// first try had placed it.
				const headers = { authorization: `Bearer ${token}`, "idempotency-key": `place-${i}` };
				const body = { items, paymentMethod: METHODS[i % METHODS.length] };
				let res = await api(base, "POST", "/api/orders", body, headers);
				const giveUpAt = Date.now() + 180_000;
				while (res.status >= 500 && Date.now() < giveUpAt) {
					await sleep(Math.max(500, Number(res.headers.get("retry-after") ?? 0) * 1000));
					res = await api(base, "POST", "/api/orders", body, headers);
				}
				expect([200, 201]).toContain(res.status);
				placed.push({ orderId: res.body.orderId, items: res.body.items });
				await during(placed.length);
			}
		};
		await Promise.all(Array.from({ length: concurrency }, worker));
		return placed;
	}

	beforeAll(async () => {
		kafka = await PrivateBroker.create("kafka");
		await kafka.start();
		shared = {
			TRANSPORTER: infra.natsUrl,
			DATABASE_URL: infra.databaseUrl,
			EVENTS_URL: kafka.url,
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			NAMESPACE: testNamespace("saga"),
			LOG_LEVEL: "warn",
			SEED_DEMO_DATA: "false",
			EVENTS_KAFKA_SESSION_TIMEOUT_MS: "6000",
			OUTBOX_LEASE_MS: "3000",
			OUTBOX_RELAY_INTERVAL_MS: "500",
			INVENTORY_SWEEP_INTERVAL_S: "1",
			ORDER_PAYMENT_TIMEOUT_MS: String(PAYMENT_TIMEOUT_MS),
			ORDER_TIMEOUT_SWEEP_MS: "1000",
			PAYMENT_SANDBOX_DUPLICATE_RATE: "0.3",
			PAYMENT_SANDBOX_REORDER_RATE: "0.3",
			PAYMENT_SANDBOX_WEBHOOK_DELAY_MS: "30",
			PAYMENT_PROVIDER_BACKOFF_MS: "50",
			PAYMENT_PROVIDER_MAX_ATTEMPTS: "3",
		};
		const config = testConfig({
			...shared,
			LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "error",
			NODE_ID: `edge-${uniqueId()}`,
		});
		shop = await startBroker(config, [
			gatewayService(config),
			authService(config),
			productsService(config),
			inventoryService(config),
			eventsService(config),
		]);
		auth = config.auth;
		base = gatewayBaseUrl(shop);
		shared.PAYMENTS_WEBHOOK_URL = `${base}/api/payments/webhook`;
		admin = await signAccessToken({ sub: "ops", roles: ["admin"] }, config.auth);
		for (const id of ["orders-a", "orders-b"]) startNode(id, "orders");
		for (const id of ["payments-a", "payments-b"]) startNode(id, "payments");
		await Promise.all([...nodes.keys()].map(nodeReady));
		await shop.waitForServices(["orders", "payments"], 30_000);

		// Kafka consumer groups start at the end of a topic once joined: wait for a probe order to end.
		const probeSku = [...(await stockUp(1, 100)).keys()][0] as string;
		await waitFor(
			"a probe order to be confirmed",
			async () => {
				const [probe] = await placeOrders([probeSku], 1, 1);
				const until = Date.now() + 5000;
				while (Date.now() < until) {
					const view = await shop.call<{ status: string } | null, object>("orders.inspect", {
						orderId: (probe as PlacedOrder).orderId,
					});
					if (view?.status === "CONFIRMED") return true;
					await sleep(200);
				}
				return undefined;
			},
			120_000,
			0,
		);
	}, 240_000);

	afterAll(async () => {
		await Promise.all([...nodes.values()].map((n) => n.child.stop("SIGKILL")));
		await shop?.stop();
		await kafka?.dispose();
	});

	it("when an orders node and a payments node are SIGKILLed mid-saga, then every order still ends once and the books balance", async () => {
		const stock = await stockUp(4, 60);
		let killed = false;
		const orders = await placeOrders([...stock.keys()], 240, 12, async (placed) => {
			if (placed >= 80 && !killed) {
				killed = true;
				await Promise.all([
					nodes.get("orders-a")?.child.stop("SIGKILL"),
					nodes.get("payments-a")?.child.stop("SIGKILL"),
				]);
			}
		});
		expect(killed).toBe(true);
		// The killed nodes come back (as a supervisor would restart them).
		startNode("orders-a", "orders");
		startNode("payments-a", "payments");
		const ended = await untilAllEnded(shop, orders, PAYMENT_TIMEOUT_MS + 120_000);
		await audit(shop, orders, stock, ended);
		expect([...ended.values()].filter((o) => o.status === "CONFIRMED").length).toBeGreaterThan(0);
	}, 300_000);

	it("when the event broker stops for 10 s with 1,000 orders in flight, then every order still ends once and the books balance", async () => {
		const stock = await stockUp(5, 150);
		let stopped: Promise<void> | undefined;
		const orders = await placeOrders([...stock.keys()], 1000, 25, (placed) => {
			if (placed === 300) stopped = kafka.stop();
		});
		await stopped;
		await sleep(10_000);
		await kafka.start();
		const ended = await untilAllEnded(shop, orders, PAYMENT_TIMEOUT_MS + 240_000);
		await audit(shop, orders, stock, ended);
	}, 480_000);

	it("when the provider is out, then intents go to the provider dead letters, and a requeue after the outage completes the orders", async () => {
		const auth = { authorization: `Bearer ${admin}` };
		const stock = await stockUp(1, 50);
		expect((await api(base, "POST", "/api/payments/provider/outage-mode?enabled=true", {}, auth)).body).toEqual({
			enabled: true,
		});
		const sku = [...stock.keys()][0] as string;
		const orders = await placeOrders([sku], 10, 5);
		const letters = await waitFor(
			"the dead letters of the 10 intents",
			async () => {
				const list = (await api(base, "GET", "/api/payments/provider/dead-letters?status=OPEN", undefined, auth))
					.body as Array<{
					id: number;
					paymentId: string;
				}>;
				return list.length >= 10 ? list : undefined;
			},
			60_000,
			500,
		);
		await api(base, "POST", "/api/payments/provider/outage-mode?enabled=false", {}, auth);
		for (const letter of letters) {
			const requeued = await api(base, "POST", `/api/payments/provider/dead-letters/${letter.id}/requeue`, {}, auth);
			expect(requeued.status).toBe(200);
		}
		const ended = await untilAllEnded(shop, orders, PAYMENT_TIMEOUT_MS + 60_000);
		await audit(shop, orders, stock, ended);
		// Requeued in time, the authorizing ones were confirmed.
		const authorizing = orders.filter((_, i) => METHODS[i % METHODS.length] === "sandbox_authorize");
		expect(authorizing.filter((o) => ended.get(o.orderId)?.status === "CONFIRMED").length).toBeGreaterThan(0);
	}, 240_000);
});
