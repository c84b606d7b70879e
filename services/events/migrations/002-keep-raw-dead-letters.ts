import { DataTypes } from "sequelize";
import { longText } from "../../../lib/db/long-text";
import type { Migration } from "../../../lib/db/migrator";

/**
 * A dead letter keeps the message as it was (bytes, key, headers: what a requeue sends again) and where it
 * was (partition, offset). Rows from before stay NULL there: they are requeued from `payload` as before.
 */
export const keepRawDeadLetters: Migration = {
	name: "002-keep-raw-dead-letters",
	async up(qi) {
		await qi.addColumn("dead_letters", "raw_payload", { type: DataTypes.BLOB("long"), allowNull: true });
		await qi.addColumn("dead_letters", "message_key", { type: DataTypes.BLOB, allowNull: true });
		await qi.addColumn("dead_letters", "headers", { type: longText(qi), allowNull: true });
		await qi.addColumn("dead_letters", "original_partition", { type: DataTypes.INTEGER, allowNull: true });
		await qi.addColumn("dead_letters", "original_offset", { type: DataTypes.STRING(20), allowNull: true });
	},
	async down(qi) {
		for (const column of ["raw_payload", "message_key", "headers", "original_partition", "original_offset"]) {
			await qi.removeColumn("dead_letters", column);
		}
	},
};
