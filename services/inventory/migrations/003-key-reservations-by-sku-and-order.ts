import { DataTypes } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";

const COLUMNS = "order_id, sku, quantity, status, expires_at, created_at, updated_at";

/**
 * Reservations keyed by `(sku, order_id)` instead of a `reservation_id` string column with a second
 * index on `sku`. The reservation id stays `orderId:sku` in the API (it is derived from the key);
 * what goes is a 130-byte primary key and one of three indexes per row. A SKU's rows are now
 * clustered together, which is how the actor reads and writes them, and a hot SKU's batch INSERT
 * costs MariaDB about a fifth less per row (`node --import tsx bench/reservation-insert.bench.ts`).
 * Rebuilt through a copy so that it runs the same way on MariaDB and on SQLite (embedded mode).
 */
export const keyReservationsBySkuAndOrder: Migration = {
	name: "003-key-reservations-by-sku-and-order",
	async up(qi) {
		await qi.createTable("reservations_by_sku", {
			sku: { type: DataTypes.STRING(64), primaryKey: true },
			order_id: { type: DataTypes.STRING(64), primaryKey: true },
			quantity: { type: DataTypes.INTEGER, allowNull: false },
			status: { type: DataTypes.STRING(16), allowNull: false },
			expires_at: { type: DataTypes.BIGINT, allowNull: false },
			created_at: { type: DataTypes.BIGINT, allowNull: false },
			updated_at: { type: DataTypes.BIGINT, allowNull: false },
		});
		await qi.sequelize.query(`INSERT INTO reservations_by_sku (${COLUMNS}) SELECT ${COLUMNS} FROM reservations`);
		await qi.dropTable("reservations");
		await qi.renameTable("reservations_by_sku", "reservations");
		await qi.addIndex("reservations", ["status", "expires_at"], { name: "reservations_status_expiry" });
	},
	async down(qi) {
		await qi.createTable("reservations_by_id", {
			reservation_id: { type: DataTypes.STRING(130), primaryKey: true },
			order_id: { type: DataTypes.STRING(64), allowNull: false },
			sku: { type: DataTypes.STRING(64), allowNull: false },
			quantity: { type: DataTypes.INTEGER, allowNull: false },
			status: { type: DataTypes.STRING(16), allowNull: false },
			expires_at: { type: DataTypes.BIGINT, allowNull: false },
			created_at: { type: DataTypes.BIGINT, allowNull: false },
			updated_at: { type: DataTypes.BIGINT, allowNull: false },
		});
		const id = qi.sequelize.getDialect() === "sqlite" ? "order_id || ':' || sku" : "CONCAT(order_id, ':', sku)";
		await qi.sequelize.query(
			`INSERT INTO reservations_by_id (reservation_id, ${COLUMNS}) SELECT ${id}, ${COLUMNS} FROM reservations`,
		);
		await qi.dropTable("reservations");
		await qi.renameTable("reservations_by_id", "reservations");
		await qi.addIndex("reservations", ["sku"], { name: "reservations_sku" });
		await qi.addIndex("reservations", ["status", "expires_at"], { name: "reservations_status_expiry" });
	},
};
