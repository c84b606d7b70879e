import { DataTypes } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";

/** Stock rows (one per SKU, fenced by `version`) and reservations (`orderId:sku`). Times are epoch ms. */
export const createStockAndReservations: Migration = {
	name: "001-create-stock-and-reservations",
	async up(qi) {
		await qi.createTable("stock", {
			sku: { type: DataTypes.STRING(64), primaryKey: true },
			available: { type: DataTypes.INTEGER, allowNull: false },
			reserved: { type: DataTypes.INTEGER, allowNull: false },
			confirmed: { type: DataTypes.INTEGER, allowNull: false },
			version: { type: DataTypes.INTEGER, allowNull: false },
			updated_at: { type: DataTypes.BIGINT, allowNull: false },
		});
		await qi.createTable("reservations", {
			reservation_id: { type: DataTypes.STRING(130), primaryKey: true },
			order_id: { type: DataTypes.STRING(64), allowNull: false },
			sku: { type: DataTypes.STRING(64), allowNull: false },
			quantity: { type: DataTypes.INTEGER, allowNull: false },
			status: { type: DataTypes.STRING(16), allowNull: false },
			expires_at: { type: DataTypes.BIGINT, allowNull: false },
			created_at: { type: DataTypes.BIGINT, allowNull: false },
			updated_at: { type: DataTypes.BIGINT, allowNull: false },
		});
		await qi.addIndex("reservations", ["sku"], { name: "reservations_sku" });
		await qi.addIndex("reservations", ["status", "expires_at"], { name: "reservations_status_expiry" });
	},
	async down(qi) {
		await qi.dropTable("reservations");
		await qi.dropTable("stock");
	},
};
