import { createHash, randomBytes, randomUUID } from "node:crypto";
import { QueryTypes, type Sequelize } from "sequelize";
import { affectedRows } from "../../lib/db/query-results";
import { type RefreshProblem, RefreshTokenInvalidError } from "./auth.errors";

/** What a client holds: 32 random bytes, base64url. Only its SHA-256 is stored. */
function newToken(): string {
	return randomBytes(32).toString("base64url");
}

function hashOf(token: string): string {
	return createHash("sha256").update(token).digest("hex");
}

interface TokenRow {
	user_id: string;
	family_id: string;
	expires_at: number | string;
	revoked_because: string | null;
}

/** Why a token is no longer usable, for the refusal's reason. */
function problemOf(row: TokenRow | undefined, now: number): RefreshProblem {
	if (!row) return "UNKNOWN";
	if (row.revoked_because === "rotated") return "REUSED";
	if (row.revoked_because) return "REVOKED";
	return Number(row.expires_at) <= now ? "EXPIRED" : "REVOKED";
}

/**
 * Refresh tokens, rotated on every use. Rotation is one conditional UPDATE: of two requests with the
 * same token exactly one wins, on MariaDB and SQLite alike, with no lock held across round trips.
 */
export class RefreshTokensRepository {
	constructor(
		private readonly db: Sequelize,
		private readonly ttlMs: number,
	) {}

	/** A new token for `userId`, starting a family unless it continues `familyId`. */
	async issue(userId: string, familyId: string = randomUUID(), now = Date.now()): Promise<string> {
		const token = newToken();
		await this.db.query(
			`INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)`,
			{ replacements: [hashOf(token), userId, familyId, now + this.ttlMs, now], type: QueryTypes.INSERT },
		);
		return token;
	}

	/**
	 * Exchanges `token` for a new one of the same family and returns it with its user. A token used a
	 * second time means two parties hold it: the whole family is revoked, `onReuse` told whose it was (its
	 * access tokens must go too) and the caller refused.
	 */
	async rotate(
		token: string,
		onReuse: (userId: string) => Promise<void> = async () => {},
		now = Date.now(),
	): Promise<{ userId: string; token: string }> {
		const hash = hashOf(token);
		const row = await this.find(hash);
		const result = await this.db.query(
			`UPDATE refresh_tokens SET revoked_at = ?, revoked_because = 'rotated'
			 WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?`,
			{ replacements: [now, hash, now], type: QueryTypes.UPDATE },
		);
		if (!row || affectedRows(result) !== 1) {
			const current = row && (await this.find(hash));
			const problem = problemOf(current, now);
			if (problem === "REUSED" && current) {
				await this.revokeFamily(current.family_id, "family", now);
				await onReuse(current.user_id);
			}
			throw new RefreshTokenInvalidError(problem);
		}
		return { userId: row.user_id, token: await this.issue(row.user_id, row.family_id, now) };
	}

	/** Logout: revokes the family of `token` if it belongs to `userId`; false when it does not. */
	async revokeFamilyOf(token: string, userId: string, now = Date.now()): Promise<boolean> {
		const row = await this.find(hashOf(token));
		if (!row || row.user_id !== userId) return false;
		await this.revokeFamily(row.family_id, "logout", now);
		return true;
	}

	/** Revokes every live refresh token of `userId` (a password change signs out every session). */
	async revokeAllOf(userId: string, now = Date.now()): Promise<void> {
		await this.db.query(
			`UPDATE refresh_tokens SET revoked_at = ?, revoked_because = 'password' WHERE user_id = ? AND revoked_at IS NULL`,
			{ replacements: [now, userId], type: QueryTypes.UPDATE },
		);
	}

	/**
	 * Deletes up to `limit` tokens that expired before `now`; returns how many. Each node's sweep takes
	 * its own rows by key, so two nodes sweeping at once only delete some rows twice over (a no-op).
	 */
	async deleteExpired(now: number, limit: number): Promise<number> {
		const rows = await this.db.query<{ token_hash: string }>(
			`SELECT token_hash FROM refresh_tokens WHERE expires_at < ? ORDER BY expires_at LIMIT ${Number(limit)}`,
			{ replacements: [now], type: QueryTypes.SELECT },
		);
		if (rows.length === 0) return 0;
		await this.db.query(`DELETE FROM refresh_tokens WHERE token_hash IN (${rows.map(() => "?").join(", ")})`, {
			replacements: rows.map((row) => row.token_hash),
			type: QueryTypes.DELETE,
		});
		return rows.length;
	}

	private async find(hash: string): Promise<TokenRow | undefined> {
		const rows = await this.db.query<TokenRow>(
			`SELECT user_id, family_id, expires_at, revoked_because FROM refresh_tokens WHERE token_hash = ?`,
			{ replacements: [hash], type: QueryTypes.SELECT },
		);
		return rows[0];
	}

	private async revokeFamily(familyId: string, because: string, now: number): Promise<void> {
		await this.db.query(
			`UPDATE refresh_tokens SET revoked_at = ?, revoked_because = ? WHERE family_id = ? AND revoked_at IS NULL`,
			{ replacements: [now, because, familyId], type: QueryTypes.UPDATE },
		);
	}
}
