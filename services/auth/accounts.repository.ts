import { randomUUID } from "node:crypto";
import { QueryTypes, type Sequelize } from "sequelize";
import { isUniqueViolation } from "../../lib/db/query-results";
import { EmailTakenError } from "./auth.errors";

export interface Account {
	id: string;
	email: string;
	passwordHash: string;
	roles: string[];
}

interface AccountRow {
	id: string;
	email: string;
	password_hash: string;
	roles: string;
}

/** Roles are stored comma-separated: a role name never holds a comma (see ROLE in auth.params). */
function toAccount(row: AccountRow): Account {
	return { id: row.id, email: row.email, passwordHash: row.password_hash, roles: row.roles.split(",").filter(Boolean) };
}

/** The `users` table. Emails arrive normalised (trimmed, lower-case) from the action's params. */
export class AccountsRepository {
	constructor(private readonly db: Sequelize) {}

	/** Creates the account; EmailTakenError when the email already has one (the unique index decides). */
	async create(email: string, passwordHash: string, roles: readonly string[], now = Date.now()): Promise<Account> {
		const account = { id: randomUUID(), email, passwordHash, roles: [...roles] };
		try {
			await this.db.query(
				`INSERT INTO users (id, email, password_hash, roles, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
				{ replacements: [account.id, email, passwordHash, roles.join(","), now, now], type: QueryTypes.INSERT },
			);
		} catch (err) {
			if (isUniqueViolation(err)) throw new EmailTakenError();
			throw err;
		}
		return account;
	}

	async findByEmail(email: string): Promise<Account | undefined> {
		const rows = await this.db.query<AccountRow>(`SELECT id, email, password_hash, roles FROM users WHERE email = ?`, {
			replacements: [email],
			type: QueryTypes.SELECT,
		});
		return rows[0] && toAccount(rows[0]);
	}

	async setPasswordHash(id: string, passwordHash: string, now = Date.now()): Promise<void> {
		await this.db.query("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", {
			replacements: [passwordHash, now, id],
			type: QueryTypes.UPDATE,
		});
	}

	async setRoles(id: string, roles: readonly string[], now = Date.now()): Promise<void> {
		await this.db.query("UPDATE users SET roles = ?, updated_at = ? WHERE id = ?", {
			replacements: [roles.join(","), now, id],
			type: QueryTypes.UPDATE,
		});
	}

	async findById(id: string): Promise<Account | undefined> {
		const rows = await this.db.query<AccountRow>(`SELECT id, email, password_hash, roles FROM users WHERE id = ?`, {
			replacements: [id],
			type: QueryTypes.SELECT,
		});
		return rows[0] && toAccount(rows[0]);
	}
}
