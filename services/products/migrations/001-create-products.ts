import { DataTypes } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";

/**
 * The catalog. Prices are integer minor units (cents) with their ISO 4217 currency: no floating point
 * money. `version` counts changes, so consumers of `product.upserted.v1` can drop an older copy that
 * arrives late. Times are epoch ms.
 */
export const createProducts: Migration = {
	name: "001-create-products",
	async up(qi) {
		await qi.createTable("products", {
			id: { type: DataTypes.STRING(36), primaryKey: true },
			sku: { type: DataTypes.STRING(64), allowNull: false },
			name: { type: DataTypes.STRING(200), allowNull: false },
			description: { type: DataTypes.TEXT, allowNull: false },
			category: { type: DataTypes.STRING(64), allowNull: false },
			price_cents: { type: DataTypes.BIGINT, allowNull: false },
			currency: { type: DataTypes.STRING(3), allowNull: false },
			active: { type: DataTypes.BOOLEAN, allowNull: false },
			version: { type: DataTypes.INTEGER, allowNull: false },
			created_at: { type: DataTypes.BIGINT, allowNull: false },
			updated_at: { type: DataTypes.BIGINT, allowNull: false },
		});
		await qi.addIndex("products", ["sku"], { name: "products_sku", unique: true });
		await qi.addIndex("products", ["category", "price_cents"], { name: "products_category_price" });
		await qi.addIndex("products", ["created_at"], { name: "products_created" });
	},
	async down(qi) {
		await qi.dropTable("products");
	},
};
