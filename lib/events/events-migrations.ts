import { DataTypes } from "sequelize";
import { longText } from "../db/long-text";
import type { Migration } from "../db/migrator";

/** The producer side: events written in the business transaction, published by the relay. */
export const outboxMigration: Migration = {
	name: "900-create-outbox-events",
	async up(qi) {
		await qi.createTable("outbox_events", {
			id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
			event_id: { type: DataTypes.STRING(36), allowNull: false, unique: true },
			topic: { type: DataTypes.STRING(128), allowNull: false },
			event_key: { type: DataTypes.STRING(191), allowNull: false },
			envelope: { type: longText(qi), allowNull: false },
			status: { type: DataTypes.STRING(16), allowNull: false },
			attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
			next_attempt_at: { type: DataTypes.BIGINT, allowNull: false },
			locked_until: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
			locked_by: { type: DataTypes.STRING(191), allowNull: true },
			last_error: { type: DataTypes.STRING(1000), allowNull: true },
			created_at: { type: DataTypes.BIGINT, allowNull: false },
			published_at: { type: DataTypes.BIGINT, allowNull: true },
		});
		await qi.addIndex("outbox_events", ["status", "next_attempt_at"], { name: "outbox_due" });
		await qi.addIndex("outbox_events", ["status", "published_at"], { name: "outbox_published" });
		await qi.addIndex("outbox_events", ["locked_by"], { name: "outbox_claim" });
		// The claim skips rows whose key still has an earlier PENDING row (per-key order).
		await qi.addIndex("outbox_events", ["event_key", "status", "id"], { name: "outbox_key_order" });
	},
	async down(qi) {
		await qi.dropTable("outbox_events");
	},
};

/** The consumer side: one row per (event, consumer), inserted in the effect's transaction. */
export const dedupMigration: Migration = {
	name: "901-create-consumed-events",
	async up(qi) {
		await qi.createTable("consumed_events", {
			event_id: { type: DataTypes.STRING(36), primaryKey: true },
			consumer: { type: DataTypes.STRING(128), primaryKey: true },
			consumed_at: { type: DataTypes.BIGINT, allowNull: false },
		});
		await qi.addIndex("consumed_events", ["consumed_at"], { name: "consumed_events_age" });
	},
	async down(qi) {
		await qi.dropTable("consumed_events");
	},
};
