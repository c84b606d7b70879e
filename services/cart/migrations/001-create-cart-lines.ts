import { DataTypes } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";

/**
 * Signed-in shoppers' cart lines (guests' carts live in the key-value store with a TTL). A line keeps
 * the product's name and price as they were when it was added, so the cart can say when a price
 * changed since. Times are epoch ms.
 */
export const createCartLines: Migration = {
	name: "001-create-cart-lines",
	async up(qi) {
		await qi.createTable("cart_lines", {
			user_id: { type: DataTypes.STRING(64), primaryKey: true },
			product_id: { type: DataTypes.STRING(36), primaryKey: true },
			quantity: { type: DataTypes.INTEGER, allowNull: false },
			name: { type: DataTypes.STRING(200), allowNull: false },
			price_cents: { type: DataTypes.BIGINT, allowNull: false },
			currency: { type: DataTypes.STRING(3), allowNull: false },
			added_at: { type: DataTypes.BIGINT, allowNull: false },
		});
	},
	async down(qi) {
		await qi.dropTable("cart_lines");
	},
};
