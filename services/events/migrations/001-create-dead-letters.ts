import { DataTypes } from "sequelize";
import { longText } from "../../../lib/db/long-text";
import type { Migration } from "../../../lib/db/migrator";

/** Messages the consumers gave up on, kept for operators to inspect and requeue. */
export const createDeadLetters: Migration = {
	name: "001-create-dead-letters",
	async up(qi) {
		await qi.createTable("dead_letters", {
			id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
			event_id: { type: DataTypes.STRING(64), allowNull: true },
			original_channel: { type: DataTypes.STRING(191), allowNull: false },
			original_group: { type: DataTypes.STRING(191), allowNull: true },
			error: { type: DataTypes.STRING(1000), allowNull: true },
			payload: { type: longText(qi), allowNull: false },
			received_at: { type: DataTypes.BIGINT, allowNull: false },
			requeued_at: { type: DataTypes.BIGINT, allowNull: true },
		});
		await qi.addIndex("dead_letters", ["requeued_at", "id"], { name: "dead_letters_open" });
	},
	async down(qi) {
		await qi.dropTable("dead_letters");
	},
};
