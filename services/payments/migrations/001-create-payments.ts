import { DataTypes } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";

/**
 * One payment per order (`order_id` unique), so a redelivered `order.created.v1` or a client's retry of
 * `POST /api/payments/intents` finds the payment it made. `order_state` is what payments knows of the
 * order's end: a row with `CALLED_OFF` and no intent is the tombstone that keeps a late
 * `order.created.v1` from creating anything chargeable. `user_id` is null only on such a tombstone.
 * `correlation_id` is the order's (from `order.created.v1`): the events a webhook causes carry it, so
 * one order's saga reads as one trace.
 * Money is integer minor units; times are epoch ms.
 */
export const createPayments: Migration = {
	name: "001-create-payments",
	async up(qi) {
		await qi.createTable("payments", {
			payment_id: { type: DataTypes.STRING(36), primaryKey: true },
			order_id: { type: DataTypes.STRING(64), allowNull: false, unique: true },
			user_id: { type: DataTypes.STRING(64), allowNull: true },
			amount_cents: { type: DataTypes.BIGINT, allowNull: false },
			currency: { type: DataTypes.STRING(3), allowNull: false },
			method: { type: DataTypes.STRING(64), allowNull: false },
			status: { type: DataTypes.STRING(16), allowNull: false },
			reason: { type: DataTypes.STRING(64), allowNull: true },
			provider_intent_id: { type: DataTypes.STRING(64), allowNull: true, unique: true },
			order_state: { type: DataTypes.STRING(16), allowNull: false },
			correlation_id: { type: DataTypes.STRING(128), allowNull: true },
			created_at: { type: DataTypes.BIGINT, allowNull: false },
			updated_at: { type: DataTypes.BIGINT, allowNull: false },
		});
	},
	async down(qi) {
		await qi.dropTable("payments");
	},
};
