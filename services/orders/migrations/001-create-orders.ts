import { DataTypes } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";

/**
 * Orders and their history. An order's lines and totals are JSON (read and written whole, never
 * queried by line); `version` fences every change, so two saga inputs racing for one order cannot
 * both apply. `(user_id, idempotency_key)` is unique: the client's retry of a create finds its order.
 * Money is integer minor units; times are epoch ms.
 */
export const createOrders: Migration = {
	name: "001-create-orders",
	async up(qi) {
		await qi.createTable("orders", {
			order_id: { type: DataTypes.STRING(36), primaryKey: true },
			user_id: { type: DataTypes.STRING(64), allowNull: false },
			status: { type: DataTypes.STRING(16), allowNull: false },
			reason: { type: DataTypes.STRING(64), allowNull: true },
			items: { type: DataTypes.TEXT, allowNull: false },
			totals: { type: DataTypes.STRING(255), allowNull: false },
			payment_method: { type: DataTypes.STRING(64), allowNull: false },
			payment_id: { type: DataTypes.STRING(64), allowNull: true },
			shipping_address_id: { type: DataTypes.STRING(36), allowNull: true },
			from_cart: { type: DataTypes.BOOLEAN, allowNull: false },
			stock_reserved: { type: DataTypes.BOOLEAN, allowNull: false },
			payment_authorized: { type: DataTypes.BOOLEAN, allowNull: false },
			idempotency_key: { type: DataTypes.STRING(128), allowNull: true },
			request_hash: { type: DataTypes.STRING(64), allowNull: true },
			version: { type: DataTypes.INTEGER, allowNull: false },
			created_at: { type: DataTypes.BIGINT, allowNull: false },
			updated_at: { type: DataTypes.BIGINT, allowNull: false },
		});
		await qi.addIndex("orders", ["user_id", "created_at"], { name: "orders_user_created" });
		await qi.addIndex("orders", ["status", "created_at"], { name: "orders_status_created" });
		await qi.addIndex("orders", ["user_id", "idempotency_key"], { name: "orders_idempotency", unique: true });

		await qi.createTable("order_history", {
			id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
			order_id: { type: DataTypes.STRING(36), allowNull: false },
			status: { type: DataTypes.STRING(16), allowNull: false },
			reason: { type: DataTypes.STRING(64), allowNull: true },
			at: { type: DataTypes.BIGINT, allowNull: false },
		});
		await qi.addIndex("order_history", ["order_id", "id"], { name: "order_history_order" });
	},
	async down(qi) {
		await qi.dropTable("order_history");
		await qi.dropTable("orders");
	},
};
