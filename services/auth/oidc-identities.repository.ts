import { QueryTypes, type Sequelize } from "sequelize";
import { isUniqueViolation } from "../../lib/db/query-results";

/** An account at an OpenID provider: who it is there (issuer, subject) and which of our users it logs in as. */
export interface OidcIdentity {
	issuer: string;
	subject: string;
	userId: string;
}

/** The `oidc_identities` table (migration 002). */
export class OidcIdentitiesRepository {
	constructor(private readonly db: Sequelize) {}

	async find(issuer: string, subject: string): Promise<OidcIdentity | undefined> {
		const rows = await this.db.query<{ user_id: string }>(
			"SELECT user_id FROM oidc_identities WHERE issuer = ? AND subject = ?",
			{ replacements: [issuer, subject], type: QueryTypes.SELECT },
		);
		return rows[0] && { issuer, subject, userId: rows[0].user_id };
	}

	/**
	 * Links the provider's account to `userId`. When two first logins of one provider account race, the
	 * primary key picks one link and both get it: the returned identity is the one stored.
	 */
	async link(identity: OidcIdentity, email: string, now = Date.now()): Promise<OidcIdentity> {
		try {
			await this.db.query(
				"INSERT INTO oidc_identities (issuer, subject, user_id, email, created_at, last_login_at) VALUES (?, ?, ?, ?, ?, ?)",
				{
					replacements: [identity.issuer, identity.subject, identity.userId, email, now, now],
					type: QueryTypes.INSERT,
				},
			);
			return identity;
		} catch (err) {
			if (!isUniqueViolation(err)) throw err;
			const stored = await this.find(identity.issuer, identity.subject);
			if (!stored) throw err;
			return stored;
		}
	}

	async touch(identity: OidcIdentity, now = Date.now()): Promise<void> {
		await this.db.query("UPDATE oidc_identities SET last_login_at = ? WHERE issuer = ? AND subject = ?", {
			replacements: [now, identity.issuer, identity.subject],
			type: QueryTypes.UPDATE,
		});
	}
}
