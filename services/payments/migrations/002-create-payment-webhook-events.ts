import { DataTypes } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";

/**
 * Every verified webhook, keyed by the provider's event id: a redelivery hits the primary key and is
 * answered as a duplicate. `applied_at` stays null while the intent it names is not stored yet (the
 * webhook overtook our own write of the intent id); storing the intent applies them.
 */
export const createPaymentWebhookEvents: Migration = {
	name: "002-create-payment-webhook-events",
	async up(qi) {
		await qi.createTable("payment_webhook_events", {
			event_id: { type: DataTypes.STRING(128), primaryKey: true },
			intent_id: { type: DataTypes.STRING(64), allowNull: false },
			type: { type: DataTypes.STRING(32), allowNull: false },
			payload: { type: DataTypes.TEXT, allowNull: false },
			received_at: { type: DataTypes.BIGINT, allowNull: false },
			applied_at: { type: DataTypes.BIGINT, allowNull: true },
		});
		await qi.addIndex("payment_webhook_events", ["intent_id", "applied_at"], { name: "webhook_events_intent" });
	},
	async down(qi) {
		await qi.dropTable("payment_webhook_events");
	},
};
