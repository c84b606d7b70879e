import { setTimeout as sleep } from "node:timers/promises";
import type mysql from "mysql2/promise";
import { databaseNameFor } from "../../lib/db/sequelize-factory";
import inventoryService from "../../services/inventory/inventory.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { infra } from "../support/infra";
import { auditInventory, expectConsistent, storedOrders } from "../support/inventory-audit";
import { type ReserveOutcome, reserveAll, reserveOutcome, settleRetries } from "../support/reserve-outcome";
import { testServerConnection } from "../support/test-database";

const STOCK = 600;
const ORDERS = 1000;

/**
 * Kills every connection the database server has open on `database` (the inventory's pool) until
 * stopped, `everyMs` apart: a commit in flight then fails at any point, before or after its COMMIT
 * reached the server. Returns how many connections it killed.
 */
function keepKillingConnections(database: string, everyMs: number): { stop(): Promise<number> } {
	let running = true;
	const done = (async () => {
		const killer = await testServerConnection();
		let killed = 0;
		try {
			while (running) {
				const [rows] = await killer.query<mysql.RowDataPacket[]>(
					"SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()",
					[database],
				);
				for (const { id } of rows) {
					// A connection may have closed on its own meanwhile.
					await killer.query(`KILL CONNECTION ${Number(id)}`).then(
						() => killed++,
						() => undefined,
					);
				}
				await sleep(everyMs);
			}
		} finally {
			await killer.end();
		}
		return killed;
	})();
	return {
		async stop() {
			running = false;
			return done;
		},
	};
}

describe("inventory when the database drops its connections mid-commit (MariaDB)", () => {
	it("when connections are killed throughout a sell-out, then every reserve gets its reservation, a refusal or a retryable 503, retries settle every order and nothing is oversold or lost", async () => {
		const config = testConfig({ DATABASE_URL: infra.databaseUrl, DB_NAME_PREFIX: `shop_t${uniqueId()}_` });
		const broker = await startBroker(config, [inventoryService(config)]);
		const database = databaseNameFor(config, "inventory");
		try {
			const sku = `FAULT-${uniqueId()}`;
			await broker.call("inventory.setStock", { sku, available: STOCK });
			const orders = Array.from({ length: ORDERS }, (_, i) => `o${i}`);

			// The storm comes in waves, so that connections die before, during and after commits.
			const killer = keepKillingConnections(database, 15);
			const first = new Map<string, ReserveOutcome>();
			for (let wave = 0; wave < 10; wave++) {
				await reserveAll(broker, sku, orders.slice(wave * 100, (wave + 1) * 100), first);
			}
			const killed = await killer.stop();
			expect(killed).toBeGreaterThan(0);

			// Under the fault, an order gets its reservation, a refusal or a retryable 503: nothing else.
			const failures = [...first.values()].filter((o): o is Extract<ReserveOutcome, { ok: false }> => !o.ok);
			for (const failure of failures) {
				expect(["INSUFFICIENT_STOCK", "INVENTORY_UNAVAILABLE"]).toContain(failure.type);
				expect(failure.retryable).toBe(failure.type === "INVENTORY_UNAVAILABLE");
			}
			// The fault did reach the commits (else this test would prove nothing).
			expect(failures.filter((f) => f.type === "INVENTORY_UNAVAILABLE").length).toBeGreaterThan(0);

			// Once the database is reachable again, retrying each 503 settles it: a commit whose answer was
			// lost (the COMMIT reached the server) is found and returned, never taken twice.
			const final = new Map(first);
			await settleRetries(broker, sku, final);
			const reserved = [...final].filter(([, o]) => o.ok).map(([orderId]) => orderId);
			const refused = [...final].filter(([, o]) => !o.ok && o.type === "INSUFFICIENT_STOCK");
			expect(reserved.length + refused.length).toBe(ORDERS);
			// Demand exceeds the stock and every order was settled: every unit is sold, none twice.
			expect(reserved).toHaveLength(STOCK);

			const audit = await auditInventory(infra.databaseUrl, database);
			const stock = audit.get(sku);
			expect(stock).toBeDefined();
			expectConsistent(stock as never, STOCK);
			expect(stock?.available).toBe(0);
			expect(stock?.reservationRows).toBe(STOCK);

			// The rows are exactly the orders that were told they hold a reservation.
			expect((await storedOrders(database, sku)).sort()).toEqual([...reserved].sort());
		} finally {
			await broker.stop();
		}
	});

	it.each([
		["compound statements", "true"],
		["plain statements", "false"],
	])(
		"when the connection dies while a batch waits inside the database (%s), then its caller gets a retryable 503, nothing of it is stored and a retry reserves once",
		async (_mode, compound) => {
			const config = testConfig({
				DATABASE_URL: infra.databaseUrl,
				DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
				INVENTORY_COMPOUND_COMMIT: compound,
			});
			const broker = await startBroker(config, [inventoryService(config)]);
			const database = databaseNameFor(config, "inventory");
			const sku = `STUCK-${uniqueId()}`;
			const locker = await testServerConnection(database);
			try {
				await broker.call("inventory.setStock", { sku, available: 10 });
				// Another transaction holds the stock row: the batch writes its reservation, then waits for the row.
				await locker.query("START TRANSACTION");
				await locker.query("SELECT * FROM stock WHERE sku = ? FOR UPDATE", [sku]);
				const answer = reserveOutcome(broker, "o-1", sku);
				let waiting: number | undefined;
				for (let i = 0; i < 200 && waiting === undefined; i++) {
					const [rows] = await locker.query<mysql.RowDataPacket[]>(
						"SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID() AND INFO LIKE '%UPDATE stock%'",
						[database],
					);
					waiting = rows[0]?.id as number | undefined;
					if (waiting === undefined) await sleep(10);
				}
				expect(waiting).toBeDefined();
				await locker.query(`KILL CONNECTION ${Number(waiting)}`);
				expect(await answer).toEqual({ ok: false, type: "INVENTORY_UNAVAILABLE", retryable: true });
				await locker.query("ROLLBACK");

				const [before] = await locker.query<mysql.RowDataPacket[]>(
					"SELECT COUNT(*) AS n FROM reservations WHERE sku = ?",
					[sku],
				);
				expect(Number(before[0]?.n)).toBe(0);
				expect(await broker.call("inventory.getStock", { sku })).toMatchObject({ available: 10, reserved: 0 });

				// The actor read its state again: the retry is a new reservation, stored once.
				expect(await reserveOutcome(broker, "o-1", sku)).toEqual({ ok: true });
				expect(await reserveOutcome(broker, "o-1", sku)).toEqual({ ok: true });
				const [after] = await locker.query<mysql.RowDataPacket[]>(
					"SELECT COUNT(*) AS n FROM reservations WHERE sku = ?",
					[sku],
				);
				expect(Number(after[0]?.n)).toBe(1);
				const audit = await auditInventory(infra.databaseUrl, database);
				expectConsistent(audit.get(sku) as never, 10);
				expect(audit.get(sku)).toMatchObject({ available: 9, reserved: 1 });
			} finally {
				await locker.end().catch(() => undefined);
				await broker.stop();
			}
		},
	);
});
