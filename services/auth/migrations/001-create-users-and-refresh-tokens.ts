import { DataTypes } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";

/**
 * Accounts (email is unique, stored lower-case; the password only as a scrypt hash) and refresh
 * tokens (only their SHA-256: a leaked table holds no usable token). A refresh token belongs to a
 * family, the chain of rotations started by one login; reuse of a rotated token revokes the family.
 * Times are epoch ms.
 */
export const createUsersAndRefreshTokens: Migration = {
	name: "001-create-users-and-refresh-tokens",
	async up(qi) {
		await qi.createTable("users", {
			id: { type: DataTypes.STRING(36), primaryKey: true },
			email: { type: DataTypes.STRING(254), allowNull: false },
			password_hash: { type: DataTypes.STRING(200), allowNull: false },
			roles: { type: DataTypes.STRING(200), allowNull: false },
			created_at: { type: DataTypes.BIGINT, allowNull: false },
			updated_at: { type: DataTypes.BIGINT, allowNull: false },
		});
		await qi.addIndex("users", ["email"], { name: "users_email", unique: true });
		await qi.createTable("refresh_tokens", {
			token_hash: { type: DataTypes.STRING(64), primaryKey: true },
			user_id: { type: DataTypes.STRING(36), allowNull: false },
			family_id: { type: DataTypes.STRING(36), allowNull: false },
			expires_at: { type: DataTypes.BIGINT, allowNull: false },
			revoked_at: { type: DataTypes.BIGINT, allowNull: true },
			/** `rotated` (exchanged for a new one), `logout`, `password` (changed), or `family` (a rotated one was reused). */
			revoked_because: { type: DataTypes.STRING(16), allowNull: true },
			created_at: { type: DataTypes.BIGINT, allowNull: false },
		});
		await qi.addIndex("refresh_tokens", ["family_id"], { name: "refresh_tokens_family" });
		await qi.addIndex("refresh_tokens", ["user_id"], { name: "refresh_tokens_user" });
		await qi.addIndex("refresh_tokens", ["expires_at"], { name: "refresh_tokens_expiry" });
	},
	async down(qi) {
		await qi.dropTable("refresh_tokens");
		await qi.dropTable("users");
	},
};
