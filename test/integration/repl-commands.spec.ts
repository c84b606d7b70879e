/**
 * The operator commands of the REPL, run against a small cluster over NATS on real MariaDB: a
 * node with inventory, events and a producing fixture (sales, with the outbox), and the operator's
 * own node (`SERVICES=none`) whose REPL would run the commands.
 */
import type { ServiceBroker } from "moleculer";
import { databaseNameFor } from "../../lib/db/sequelize-factory";
import { type CommandArgs, type OperatorCommand, operatorCommands } from "../../lib/repl/operator-commands";
import eventsService from "../../services/events/events.service";
import inventoryService from "../../services/inventory/inventory.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { orderCreated, publishEvent } from "../support/checkout";
import { salesService } from "../support/events/fixtures";
import { FlowDb, flowEnv, sleep, waitFor } from "../support/events/harness";
import { infra } from "../support/infra";
import { testServerConnection } from "../support/test-database";

describe("REPL operator commands", () => {
	let shop: ServiceBroker;
	let operator: ServiceBroker;
	let flowDb: FlowDb;
	let inventoryDatabase: string;
	let printed: string[];
	let commands: OperatorCommand[];

	beforeAll(async () => {
		const env = flowEnv("", { TRANSPORTER: infra.natsUrl });
		flowDb = FlowDb.open(env.DB_NAME_PREFIX as string);
		const shopConfig = testConfig({ ...env, NODE_ID: `shop-${uniqueId()}` });
		inventoryDatabase = databaseNameFor(shopConfig, "inventory");
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

	it("when an operator reindexes search in a cluster without a search node, then one line says which service to start", async () => {
		expect(await run("reindex")).toBe(
			"no node runs the search service: start one (SERVICES=search) or attach to a cluster that has it",
		);
	});

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

		// This cluster runs no orders, payments or notifications node: those sides say so instead of failing the command.
		expect(JSON.parse(await run("order", { orderId }))).toEqual({
			order: { unavailable: "SERVICE_NOT_FOUND" },
			payment: { unavailable: "SERVICE_NOT_FOUND" },
			stock: { orderId, status: "RESERVED", settled: true, lines: [{ sku, quantity: 2, reservation: "RESERVED" }] },
			mails: { unavailable: "SERVICE_NOT_FOUND" },
		});
		printed = [];
		expect(JSON.parse(await run("order", { orderId: "never-seen" }))).toMatchObject({
			stock: { unavailable: "ORDER_NOT_FOUND" },
		});
	});

	it("when an operator lists hot SKUs, then each inventory node reports its actors", async () => {
		const sku = `HOT-${uniqueId()}`;
		await operator.call("inventory.setStock", { sku, available: 5 });
		const out = await run("hot", { options: { limit: "50", sample: "0" } });
		expect(out).toContain(`${shop.nodeID}:`);
		expect(out).toMatch(/\d+ actor\(s\), \d+ waiting \(\d+ queued\), oldest \d+ ms/);
		expect(out).toContain(sku);
	});

	it("when a SKU takes a burst of reserves, then hot shows the commands waiting at its actor, the oldest wait and the batch rate", async () => {
		const sku = `BURST-${uniqueId()}`;
		await operator.call("inventory.setStock", { sku, available: 1_000_000 });
		// 300 callers in a closed loop, from the operator's node (grouped per SKU by the batching middleware).
		let bursting = true;
		let reserved = 0;
		const caller = async (id: number) => {
			for (let n = 0; bursting; n++) {
				await operator.call("inventory.reserve", { orderId: `b${id}-${n}`, sku, quantity: 1 });
				reserved++;
			}
		};
		const callers = Array.from({ length: 300 }, (_, id) => caller(id));
		try {
			await waitFor("the burst to be under way", () => (reserved > 500 ? true : undefined));
			// The waiting count is read at one instant: a few reads, so one taken while every group happens to
			// be on the wire does not decide the test.
			const lines: string[] = [];
			for (let i = 0; i < 5 && !lines.some((l) => /^ {2}\S+ {2}[1-9]\d* waiting/.test(l)); i++) {
				printed = [];
				const line = (await run("hot", { options: { limit: "5", sample: "500" } }))
					.split("\n")
					.find((l) => l.startsWith(`  ${sku}  `));
				if (line) lines.push(line);
			}
			const busy = lines.find((l) => /^ {2}\S+ {2}[1-9]\d* waiting/.test(l));
			expect({ busy, lines }).toEqual({ busy: expect.any(String), lines: expect.any(Array) });
			const match = /(\d+) waiting \((\d+) queued\), oldest (\d+) ms, ([\d.]+) batches\/s, ([\d.]+) commands\/s/.exec(
				busy as string,
			);
			const [waiting, , oldestMs, batchesPerS, commandsPerS] = (match ?? []).slice(1).map(Number);
			// Before, `hot` showed only the mailbox, which the pipeline empties into batches at once: 0.
			expect(waiting).toBeGreaterThan(0);
			expect(oldestMs).toBeGreaterThanOrEqual(0);
			expect(batchesPerS).toBeGreaterThan(0);
			// Batches carry many commands each: that is how one actor keeps up with the burst.
			expect(commandsPerS).toBeGreaterThan(batchesPerS as number);
		} finally {
			bursting = false;
			await Promise.allSettled(callers);
		}
	}, 60_000);

	it("when a SKU's commit is stuck, then hot shows its commands waiting, how long the oldest has waited, and the reserves its callers hold back", async () => {
		const sku = `STUCK-${uniqueId()}`;
		await operator.call("inventory.setStock", { sku, available: 100 });
		const locker = await testServerConnection(inventoryDatabase);
		try {
			// Another transaction holds the stock row: the first batch cannot commit, the others wait behind it.
			await locker.query("START TRANSACTION");
			await locker.query("SELECT * FROM stock WHERE sku = ? FOR UPDATE", [sku]);
			const reserves = Array.from({ length: 20 }, (_, i) =>
				operator.call("inventory.reserve", { orderId: `s${i}`, sku, quantity: 1 }),
			);
			await sleep(300);
			// Both group slots of this caller are taken by the stuck batches: these wait on the calling node.
			const heldBack = Array.from({ length: 15 }, (_, i) =>
				operator.call("inventory.reserve", { orderId: `h${i}`, sku, quantity: 1 }),
			);
			await sleep(300);
			const lines = (await run("hot", { options: { limit: "5", sample: "0" } })).split("\n");
			const line = lines.find((l) => l.startsWith(`  ${sku}  `) && l.includes("queued"));
			const match = /(\d+) waiting \((\d+) queued\), oldest (\d+) ms/.exec(line ?? "");
			expect({ line, waiting: Number(match?.[1]) }).toEqual({ line: expect.any(String), waiting: 20 });
			expect(Number(match?.[3])).toBeGreaterThanOrEqual(500);
			// The operator's node is the caller here: it holds the 15 back, with both groups out.
			const callers = lines.slice(lines.indexOf("callers (held back before the owner):"));
			expect(callers[1]).toMatch(
				new RegExp(`^${operator.nodeID}: 1 SKU\\(s\\), 15 waiting, 2 group\\(s\\) out to the owner, oldest \\d+ ms$`),
			);
			const held = /^ {2}(\S+) {2}15 waiting, 2 group\(s\) out to the owner, oldest (\d+) ms$/.exec(callers[2] ?? "");
			expect(held?.[1]).toBe(sku);
			expect(Number(held?.[2])).toBeGreaterThanOrEqual(250);
			await locker.query("ROLLBACK");
			await Promise.all([...reserves, ...heldBack]);
		} finally {
			await locker.end().catch(() => undefined);
		}
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
