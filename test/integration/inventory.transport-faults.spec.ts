import { type Context, type Middleware, ServiceBroker } from "moleculer";
import { databaseNameFor } from "../../lib/db/sequelize-factory";
import inventoryService from "../../services/inventory/inventory.service";
import { brokerOptions } from "../../wiring/broker-options";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { waitFor } from "../support/events/harness";
import { PrivateBroker } from "../support/events/private-broker";
import { infra } from "../support/infra";
import { auditInventory, expectConsistent, storedOrders } from "../support/inventory-audit";
import { type ReserveOutcome, reserveAll, settleRetries } from "../support/reserve-outcome";

const STOCK = 600;
const ORDERS = 1000;
const WAVE = 100;

/**
 * Holds the answers of `inventory.reserveBatch` on the inventory node, after the batch committed,
 * while `holding`: the test can then stop NATS with answers certainly in flight (a bare delay left it
 * to timing, which a busy machine lost).
 */
function answerGate() {
	const waiting: Array<() => void> = [];
	let holding = false;
	const middleware: Middleware = {
		name: "HoldReserveAnswers",
		localAction(next: (ctx: Context) => Promise<unknown>, action: { name: string }) {
			if (action.name !== "inventory.reserveBatch") return next;
			return async (ctx: Context) => {
				const answer = await next(ctx);
				if (holding) await new Promise<void>((resolve) => waiting.push(resolve));
				return answer;
			};
		},
	} as unknown as Middleware;
	return {
		middleware,
		hold: () => {
			holding = true;
		},
		held: () => waiting.length,
		release: () => {
			holding = false;
			for (const resolve of waiting.splice(0)) resolve();
		},
	};
}

describe("inventory when NATS goes down in the middle of a sale", () => {
	it("when the NATS server stops between a caller and the inventory node and comes back, then every order settles, exactly the stock is sold and the rows are the orders told so", async () => {
		// A NATS server of this test's own: stopping it touches nothing else.
		const nats = await PrivateBroker.create("jetstream");
		await nats.start();
		const common = {
			DATABASE_URL: infra.databaseUrl,
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			TRANSPORTER: nats.url,
			NAMESPACE: `nats-fault-${uniqueId()}`,
			REQUEST_TIMEOUT_MS: "2000",
		};
		const inventoryConfig = testConfig({ ...common, NODE_ID: `inventory-${uniqueId()}` });
		const gate = answerGate();
		const options = brokerOptions(inventoryConfig);
		const inventoryNode = new ServiceBroker({
			...options,
			middlewares: [...(options.middlewares ?? []), gate.middleware],
		});
		inventoryNode.createService(inventoryService(inventoryConfig));
		await inventoryNode.start();
		const caller = await startBroker(testConfig({ ...common, NODE_ID: `caller-${uniqueId()}` }));
		const database = databaseNameFor(inventoryConfig, "inventory");
		try {
			await caller.waitForServices("inventory", 20_000);
			const sku = `NATS-FAULT-${uniqueId()}`;
			await caller.call("inventory.setStock", { sku, available: STOCK });
			const orders = Array.from({ length: ORDERS }, (_, i) => `o${i}`);
			const outcomes = new Map<string, ReserveOutcome>();
			const wave = (from: number) => reserveAll(caller, sku, orders.slice(from, from + WAVE), outcomes);

			await wave(0);
			await wave(WAVE);
			// The server goes away while a wave's batches have committed and their answers are on their way.
			gate.hold();
			const inFlight = wave(2 * WAVE);
			await waitFor("a committed batch's answer", () => (gate.held() > 0 ? true : undefined), 10_000, 5);
			await nats.stop();
			gate.release();
			await inFlight;
			await wave(3 * WAVE);
			await nats.start();
			await caller.waitForServices("inventory", 30_000);
			for (let from = 4 * WAVE; from < ORDERS; from += WAVE) await wave(from);

			// While the transport was down, callers got a clean, retryable error, never a wrong answer.
			const failures = [...outcomes.values()].filter((o): o is Extract<ReserveOutcome, { ok: false }> => !o.ok);
			const transportFailures = failures.filter((f) => f.type !== "INSUFFICIENT_STOCK");
			expect(transportFailures.length).toBeGreaterThan(0);
			for (const failure of transportFailures) expect(failure.retryable).toBe(true);

			// The batches whose answers were held had committed: only their answers were lost.
			const stored = new Set(await storedOrders(database, sku));
			const committedUnanswered = [...outcomes].filter(
				([orderId, o]) => !o.ok && o.type !== "INSUFFICIENT_STOCK" && stored.has(orderId),
			);
			expect(committedUnanswered.length).toBeGreaterThan(0);

			// Retrying what failed settles every order: a reserve that committed but lost its answer returns it.
			await settleRetries(caller, sku, outcomes, { pauseMs: 200 });
			const reserved = [...outcomes].filter(([, o]) => o.ok).map(([orderId]) => orderId);
			const refused = [...outcomes].filter(([, o]) => !o.ok && o.type === "INSUFFICIENT_STOCK");
			expect(reserved.length + refused.length).toBe(ORDERS);
			expect(reserved).toHaveLength(STOCK);

			const audit = await auditInventory(infra.databaseUrl, database);
			expectConsistent(audit.get(sku) as never, STOCK);
			expect(audit.get(sku)).toMatchObject({ available: 0, reserved: STOCK, reservationRows: STOCK });
			expect((await storedOrders(database, sku)).sort()).toEqual([...reserved].sort());
		} finally {
			await caller.stop();
			await inventoryNode.stop();
			await nats.dispose();
		}
	}, 120_000);
});
