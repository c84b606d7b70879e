import { DataTypes } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";

/**
 * `reviews`: one per shopper and product (`(product_id, user_id)` unique); `status` PENDING (waiting for
 * moderation), APPROVED (shown), REJECTED (not shown; `moderation_note` says why to its author).
 * `rating_summaries`: per product, the count and sum of its APPROVED reviews' ratings and how many gave
 * each star, changed by the same transaction as the review whose status or rating moved. Times are epoch ms.
 */
export const createReviews: Migration = {
	name: "001-create-reviews",
	async up(qi) {
		await qi.createTable("reviews", {
			id: { type: DataTypes.STRING(36), primaryKey: true },
			product_id: { type: DataTypes.STRING(36), allowNull: false },
			user_id: { type: DataTypes.STRING(64), allowNull: false },
			rating: { type: DataTypes.INTEGER, allowNull: false },
			title: { type: DataTypes.STRING(120), allowNull: false },
			body: { type: DataTypes.TEXT, allowNull: false },
			status: { type: DataTypes.STRING(16), allowNull: false },
			moderation_note: { type: DataTypes.STRING(500), allowNull: true },
			moderated_by: { type: DataTypes.STRING(64), allowNull: true },
			moderated_at: { type: DataTypes.BIGINT, allowNull: true },
			created_at: { type: DataTypes.BIGINT, allowNull: false },
			updated_at: { type: DataTypes.BIGINT, allowNull: false },
		});
		await qi.addIndex("reviews", ["product_id", "user_id"], { unique: true, name: "reviews_product_user" });
		await qi.addIndex("reviews", ["product_id", "status", "created_at"], { name: "reviews_product_status" });
		await qi.addIndex("reviews", ["status", "created_at"], { name: "reviews_status" });
		await qi.addIndex("reviews", ["user_id", "created_at"], { name: "reviews_user" });

		await qi.createTable("rating_summaries", {
			product_id: { type: DataTypes.STRING(36), primaryKey: true },
			review_count: { type: DataTypes.INTEGER, allowNull: false },
			rating_sum: { type: DataTypes.INTEGER, allowNull: false },
			stars_1: { type: DataTypes.INTEGER, allowNull: false },
			stars_2: { type: DataTypes.INTEGER, allowNull: false },
			stars_3: { type: DataTypes.INTEGER, allowNull: false },
			stars_4: { type: DataTypes.INTEGER, allowNull: false },
			stars_5: { type: DataTypes.INTEGER, allowNull: false },
			updated_at: { type: DataTypes.BIGINT, allowNull: false },
		});
	},
	async down(qi) {
		await qi.dropTable("rating_summaries");
		await qi.dropTable("reviews");
	},
};
