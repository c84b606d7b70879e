import { DataTypes } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";

/** Whether the author had bought the product (a CONFIRMED order with a line of it) when writing or last changing it. */
export const addVerifiedPurchase: Migration = {
	name: "003-add-verified-purchase",
	async up(qi) {
		await qi.addColumn("reviews", "verified_purchase", {
			type: DataTypes.BOOLEAN,
			allowNull: false,
			defaultValue: false,
		});
	},
	async down(qi) {
		await qi.removeColumn("reviews", "verified_purchase");
	},
};
