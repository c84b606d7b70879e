import { DataTypes } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";

/**
 * A profile per account (keyed by the auth service's user id; no foreign key: each service owns its
 * database) and its addresses. Preferences are one JSON document: they are read and written whole.
 * Times are epoch ms.
 */
export const createProfilesAndAddresses: Migration = {
	name: "001-create-profiles-and-addresses",
	async up(qi) {
		await qi.createTable("profiles", {
			user_id: { type: DataTypes.STRING(64), primaryKey: true },
			display_name: { type: DataTypes.STRING(100), allowNull: true },
			phone: { type: DataTypes.STRING(32), allowNull: true },
			preferences: { type: DataTypes.TEXT, allowNull: false },
			created_at: { type: DataTypes.BIGINT, allowNull: false },
			updated_at: { type: DataTypes.BIGINT, allowNull: false },
		});
		await qi.createTable("addresses", {
			id: { type: DataTypes.STRING(36), primaryKey: true },
			user_id: { type: DataTypes.STRING(64), allowNull: false },
			label: { type: DataTypes.STRING(40), allowNull: true },
			recipient: { type: DataTypes.STRING(100), allowNull: false },
			line1: { type: DataTypes.STRING(200), allowNull: false },
			line2: { type: DataTypes.STRING(200), allowNull: true },
			city: { type: DataTypes.STRING(100), allowNull: false },
			postal_code: { type: DataTypes.STRING(20), allowNull: false },
			country: { type: DataTypes.STRING(2), allowNull: false },
			is_default: { type: DataTypes.BOOLEAN, allowNull: false },
			created_at: { type: DataTypes.BIGINT, allowNull: false },
			updated_at: { type: DataTypes.BIGINT, allowNull: false },
		});
		await qi.addIndex("addresses", ["user_id"], { name: "addresses_user" });
	},
	async down(qi) {
		await qi.dropTable("addresses");
		await qi.dropTable("profiles");
	},
};
