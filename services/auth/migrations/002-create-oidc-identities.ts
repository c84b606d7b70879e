import { DataTypes } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";

/**
 * Accounts at OpenID providers linked to ours: the provider's issuer and its subject (`sub`, stable for
 * the person's lifetime there, unlike their email) name one of our users. One user may have several
 * (two providers); one provider account names one user. `email` is the address it was linked by, for
 * operators. Lengths: OpenID Connect caps `sub` at 255 ASCII characters. Times are epoch ms.
 */
export const createOidcIdentities: Migration = {
	name: "002-create-oidc-identities",
	async up(qi) {
		await qi.createTable("oidc_identities", {
			issuer: { type: DataTypes.STRING(255), primaryKey: true },
			subject: { type: DataTypes.STRING(255), primaryKey: true },
			user_id: { type: DataTypes.STRING(36), allowNull: false },
			email: { type: DataTypes.STRING(254), allowNull: false },
			created_at: { type: DataTypes.BIGINT, allowNull: false },
			last_login_at: { type: DataTypes.BIGINT, allowNull: false },
		});
		await qi.addIndex("oidc_identities", ["user_id"], { name: "oidc_identities_user" });
	},
	async down(qi) {
		await qi.dropTable("oidc_identities");
	},
};
