import { DataTypes } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";

/**
 * Provider calls that failed every attempt, for an operator to replay (`requeueDeadLetter`) once the
 * provider answers again. `status`: `OPEN` (waiting), `REQUEUED` (a replay is running), `RESOLVED`.
 */
export const createProviderDeadLetters: Migration = {
	name: "003-create-provider-dead-letters",
	async up(qi) {
		await qi.createTable("provider_dead_letters", {
			id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
			payment_id: { type: DataTypes.STRING(36), allowNull: false },
			operation: { type: DataTypes.STRING(16), allowNull: false },
			attempts: { type: DataTypes.INTEGER, allowNull: false },
			last_error: { type: DataTypes.STRING(1000), allowNull: true },
			status: { type: DataTypes.STRING(16), allowNull: false },
			created_at: { type: DataTypes.BIGINT, allowNull: false },
			requeued_at: { type: DataTypes.BIGINT, allowNull: true },
		});
		await qi.addIndex("provider_dead_letters", ["status", "id"], { name: "provider_dead_letters_status" });
		await qi.addIndex("provider_dead_letters", ["payment_id"], { name: "provider_dead_letters_payment" });
	},
	async down(qi) {
		await qi.dropTable("provider_dead_letters");
	},
};
