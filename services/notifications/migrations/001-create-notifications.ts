import { DataTypes } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";

/**
 * One row per message: what was rendered, to whom, and where its delivery stands.
 * `(source_event_id, template)` is unique: a redelivered event finds the message it made (event
 * idempotency beside the consumer dedup). `status`: PENDING (not tried yet), SENT, FAILED (tried,
 * will be tried again at `next_attempt_at`), DEAD (every attempt failed: a dead letter), SKIPPED (the
 * shopper turned order updates off, or has no address). `next_attempt_at` is also the lease of the node
 * delivering it: a node that died mid-send leaves it due, and the retry sweep of any node takes it.
 * Times are epoch ms.
 */
export const createNotifications: Migration = {
	name: "001-create-notifications",
	async up(qi) {
		await qi.createTable("notifications", {
			id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
			source_event_id: { type: DataTypes.STRING(64), allowNull: false },
			source_type: { type: DataTypes.STRING(64), allowNull: false },
			template: { type: DataTypes.STRING(64), allowNull: false },
			order_id: { type: DataTypes.STRING(64), allowNull: true },
			user_id: { type: DataTypes.STRING(64), allowNull: false },
			channel: { type: DataTypes.STRING(16), allowNull: false },
			recipient: { type: DataTypes.STRING(320), allowNull: true },
			subject: { type: DataTypes.STRING(200), allowNull: false },
			body: { type: DataTypes.TEXT, allowNull: false },
			status: { type: DataTypes.STRING(16), allowNull: false },
			attempts: { type: DataTypes.INTEGER, allowNull: false },
			last_error: { type: DataTypes.STRING(1000), allowNull: true },
			next_attempt_at: { type: DataTypes.BIGINT, allowNull: true },
			correlation_id: { type: DataTypes.STRING(128), allowNull: true },
			created_at: { type: DataTypes.BIGINT, allowNull: false },
			updated_at: { type: DataTypes.BIGINT, allowNull: false },
			sent_at: { type: DataTypes.BIGINT, allowNull: true },
		});
		await qi.addIndex("notifications", ["source_event_id", "template"], {
			unique: true,
			name: "notifications_source_template",
		});
		await qi.addIndex("notifications", ["user_id", "id"], { name: "notifications_user" });
		// A later event of an order finds its shopper through the order's earlier message; the REPL lists an order's.
		await qi.addIndex("notifications", ["order_id", "id"], { name: "notifications_order" });
		await qi.addIndex("notifications", ["status", "next_attempt_at"], { name: "notifications_due" });
	},
	async down(qi) {
		await qi.dropTable("notifications");
	},
};
