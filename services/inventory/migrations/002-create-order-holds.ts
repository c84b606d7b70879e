import { DataTypes } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";

/**
 * The checkout saga's view of an order: what inventory decided for it (`status`) and its lines.
 * `settled` = 0 while the lines' reservations may still lag behind the status (see OrderSaga).
 */
export const createOrderHolds: Migration = {
	name: "002-create-order-holds",
	async up(qi) {
		await qi.createTable("order_holds", {
			order_id: { type: DataTypes.STRING(64), primaryKey: true },
			status: { type: DataTypes.STRING(16), allowNull: false },
			order_lines: { type: DataTypes.TEXT, allowNull: false },
			settled: { type: DataTypes.BOOLEAN, allowNull: false },
			created_at: { type: DataTypes.BIGINT, allowNull: false },
			updated_at: { type: DataTypes.BIGINT, allowNull: false },
		});
		await qi.addIndex("order_holds", ["settled", "updated_at"], { name: "order_holds_unsettled" });
	},
	async down(qi) {
		await qi.dropTable("order_holds");
	},
};
