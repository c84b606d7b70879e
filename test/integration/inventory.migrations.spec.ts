import { QueryTypes, type Sequelize } from "sequelize";
import { migrate } from "../../lib/db/migrator";
import { inventoryMigrations } from "../../services/inventory/migrations";
import { InventoryRepository } from "../../services/inventory/storage/inventory.repository";
import { infra } from "../support/infra";
import { freshServiceDatabase } from "../support/test-database";

const REKEY = "003-key-reservations-by-sku-and-order";
const EXACT = "004-compare-keys-exactly";
// Every migration but these two: a database as the previous release left it.
const before = inventoryMigrations.filter((m) => m.name !== REKEY && m.name !== EXACT);

async function insertOldRow(db: Sequelize, orderId: string, sku: string, status: string): Promise<void> {
	await db.query(
		"INSERT INTO reservations (reservation_id, order_id, sku, quantity, status, expires_at, created_at, updated_at) VALUES (?, ?, ?, 2, ?, 5, 1, 1)",
		{ replacements: [`${orderId}:${sku}`, orderId, sku, status] },
	);
}

describe.each([
	["MariaDB", { DATABASE_URL: infra.databaseUrl }],
	["SQLite", {}],
])("inventory migrations on %s", (_label, env) => {
	const database = freshServiceDatabase(env, "inventory");

	it("when reservations written under the old reservation_id key are re-keyed, then every row keeps its id, order, quantity and status", async () => {
		const db = database();
		await migrate(db, before);
		await insertOldRow(db, "o-1", "SKU-1", "RESERVED");
		await insertOldRow(db, "o-1", "SKU-2", "CONFIRMED");
		await insertOldRow(db, "o-2", "SKU-1", "RELEASED");

		expect(await migrate(db, inventoryMigrations)).toEqual([REKEY, EXACT]);

		const repository = await InventoryRepository.open(db, { compoundCommit: true });
		const found = await repository.findReservations(["o-1:SKU-1", "o-1:SKU-2", "o-2:SKU-1", "o-3:SKU-1"]);
		expect(found.sort((a, b) => a.reservationId.localeCompare(b.reservationId))).toEqual([
			{ reservationId: "o-1:SKU-1", orderId: "o-1", sku: "SKU-1", quantity: 2, status: "RESERVED", expiresAt: 5 },
			{ reservationId: "o-1:SKU-2", orderId: "o-1", sku: "SKU-2", quantity: 2, status: "CONFIRMED", expiresAt: 5 },
			{ reservationId: "o-2:SKU-1", orderId: "o-2", sku: "SKU-1", quantity: 2, status: "RELEASED", expiresAt: 5 },
		]);
		expect(await repository.findExpired(10, 10)).toEqual([{ reservationId: "o-1:SKU-1", sku: "SKU-1" }]);
	});

	it("when a second row with the same sku and order is inserted after re-keying, then the key refuses it", async () => {
		const db = database();
		await migrate(db, inventoryMigrations);
		const insert = () =>
			db.query(
				"INSERT INTO reservations (order_id, sku, quantity, status, expires_at, created_at, updated_at) VALUES ('o-1', 'SKU-1', 1, 'RESERVED', 5, 1, 1)",
			);
		await insert();
		await expect(insert()).rejects.toThrow();
		const [row] = await db.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM reservations", {
			type: QueryTypes.SELECT,
		});
		expect(Number(row?.n)).toBe(1);
	});

	it("when a database created under the PAD SPACE collation is migrated, then ids differing by a trailing space are different rows", async () => {
		const db = database();
		if (db.getDialect() === "mysql") {
			await db.query(`ALTER DATABASE \`${db.getDatabaseName()}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
		}
		await migrate(db, before);
		await insertOldRow(db, "o-1", "SKU-1", "RESERVED");
		await migrate(db, inventoryMigrations);

		await db.query(
			"INSERT INTO reservations (order_id, sku, quantity, status, expires_at, created_at, updated_at) VALUES ('o-1 ', 'SKU-1', 1, 'RESERVED', 5, 1, 1), ('o-1', 'SKU-1 ', 1, 'RESERVED', 5, 1, 1)",
		);
		await db.query(
			"INSERT INTO stock (sku, available, reserved, confirmed, version, updated_at) VALUES ('S', 1, 0, 0, 1, 1), ('S ', 1, 0, 0, 1, 1)",
		);
		const repository = await InventoryRepository.open(db, { compoundCommit: true });
		expect((await repository.findReservations(["o-1:SKU-1"])).map((r) => r.reservationId)).toEqual(["o-1:SKU-1"]);
		expect((await repository.findStock("S "))?.sku).toBe("S ");
		expect(await repository.countSkus()).toBe(2);
	});

	it("when the re-keying is undone, then the rows are back under their reservation_id", async () => {
		const db = database();
		await migrate(db, inventoryMigrations);
		await db.query(
			"INSERT INTO reservations (order_id, sku, quantity, status, expires_at, created_at, updated_at) VALUES ('o-9', 'SKU-9', 3, 'RESERVED', 5, 1, 1)",
		);
		const rekey = inventoryMigrations.find((m) => m.name === REKEY);
		await rekey?.down(db.getQueryInterface());
		const rows = await db.query<{ reservation_id: string; quantity: number | string }>(
			"SELECT reservation_id, quantity FROM reservations",
			{ type: QueryTypes.SELECT },
		);
		expect(rows.map((r) => [r.reservation_id, Number(r.quantity)])).toEqual([["o-9:SKU-9", 3]]);
	});
});
