/**
 * The operator commands of the REPL, run against a small cluster over NATS on real MariaDB: a
 * node with inventory, events and a producing fixture (sales, with the outbox), and the operator's
 * own node (`SERVICES=none`) whose REPL would run the commands.
 */
import type { ServiceBroker } from "moleculer";
import { type CommandArgs, type OperatorCommand, operatorCommands } from "../../lib/repl/operator-commands";
import eventsService from "../../services/events/events.service";
import inventoryService from "../../services/inventory/inventory.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { orderCreated, publishEvent } from "../support/checkout";
import { salesService } from "../support/events/fixtures";
import { FlowDb, flowEnv, waitFor } from "../support/events/harness";
import { infra } from "../support/infra";

describe("REPL operator commands", () => {
	let shop: ServiceBroker;
	let operator: ServiceBroker;
	let flowDb: FlowDb;
	let printed: string[];
	let commands: OperatorCommand[];

	beforeAll(async () => {
		const env = flowEnv("", { TRANSPORTER: infra.natsUrl });
		flowDb = FlowDb.open(env.DB_NAME_PREFIX as string);
		const shopConfig = testConfig({ ...env, NODE_ID: `shop-${uniqueId()}` });
		shop = await startBroker(shopConfig, [inventoryService(shopConfig), eventsService(shopConfig), salesService()]);
		operator = await startBroker(testConfig({ ...env, NODE_ID: `ops-${uniqueId()}` }));
		await operator.waitForServices(["inventory", "events", "sales"], 20_000);
		commands = operatorCommands((text) => printed.push(text));
	}, 40_000);
	afterAll(async () => {
		await Promise.allSettled([operator?.stop(), shop?.stop()]);
		await flowDb?.dropAndClose();
	});
	beforeEach(() => {
		printed = [];
	});

	async function run(name: string, args: Partial<CommandArgs> = {}): Promise<string> {
		const command = commands.find((c) => c.command.split(" ")[0] === name);
		if (!command) throw new Error(`no command ${name}`);
		await command.action(operator, { options: {}, ...args } as CommandArgs);
		return printed.join("\n");
	}

	it("when an operator asks for a SKU's stock, then it prints the stock view", async () => {
		const sku = `OPS-${uniqueId()}`;
		await operator.call("inventory.setStock", { sku, available: 12 });
		await operator.call("inventory.reserve", { orderId: "o1", sku, quantity: 2 });
		expect(JSON.parse(await run("stock", { sku }))).toMatchObject({ sku, available: 10, reserved: 2, confirmed: 0 });
	});

	it("when an operator looks up an order of the checkout saga, then it prints each side, and names a side that is not running", async () => {
		const sku = `ORD-${uniqueId()}`;
		const orderId = `order-${uniqueId()}`;
		await operator.call("inventory.setStock", { sku, available: 5 });
		await publishEvent(shop, orderCreated(orderId, [{ sku, quantity: 2 }]));
		await waitFor("the order's hold", () => operator.call("inventory.orderHold", { orderId }).catch(() => undefined));

		// This cluster runs no orders or payments node: those sides say so instead of failing the command.
		expect(JSON.parse(await run("order", { orderId }))).toEqual({
			order: { unavailable: "SERVICE_NOT_FOUND" },
			payment: { unavailable: "SERVICE_NOT_FOUND" },
			stock: { orderId, status: "RESERVED", settled: true, lines: [{ sku, quantity: 2, reservation: "RESERVED" }] },
		});
		printed = [];
		expect(JSON.parse(await run("order", { orderId: "never-seen" }))).toMatchObject({
			stock: { unavailable: "ORDER_NOT_FOUND" },
		});
	});

	it("when an operator lists hot SKUs, then each inventory node reports its actors", async () => {
		const sku = `HOT-${uniqueId()}`;
		await operator.call("inventory.setStock", { sku, available: 5 });
		const out = await run("hot", { options: { limit: "50" } });
		expect(out).toContain(`${shop.nodeID}:`);
		expect(out).toMatch(/\d+ actor\(s\), \d+ queued/);
		expect(out).toContain(sku);
	});

	it("when an operator checks and replays the outbox, then the numbers come from the producing service", async () => {
		const all = JSON.parse(await run("outbox"));
		expect(all.sales).toMatchObject({ pending: expect.any(Number), failed: 0 });
		printed = [];
		expect(JSON.parse(await run("outbox", { service: "sales" }))).toMatchObject({ service: "sales", failed: 0 });
		printed = [];
		expect(JSON.parse(await run("replay", { service: "sales" }))).toEqual({ service: "sales", requeued: 0 });
	});

	it("when the service a command needs runs nowhere, then it prints one line naming the service to start", async () => {
		const alone = await startBroker(testConfig({ NODE_ID: `alone-${uniqueId()}` }));
		try {
			const outbox = commands.find((c) => c.command.startsWith("outbox")) as OperatorCommand;
			await outbox.action(alone, { options: {} } as CommandArgs);
			expect(printed).toEqual([
				"no node runs the events service: start one (SERVICES=events) or attach to a cluster that has it",
			]);
		} finally {
			await alone.stop();
		}
	});

	it("when an operator lists dead letters or requeues an unknown one, then the answer says so", async () => {
		expect(JSON.parse(await run("deadletters", { options: { limit: "5" } }))).toEqual([]);
		await expect(run("requeue", { id: "999999" })).rejects.toMatchObject({ type: "DEAD_LETTER_NOT_FOUND" });
	});
});
