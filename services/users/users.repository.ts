import { randomUUID } from "node:crypto";
import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import { isUniqueViolation } from "../../lib/db/query-results";

export interface Preferences {
	language?: string;
	currency?: string;
	marketingEmails?: boolean;
	orderUpdates?: boolean;
}

export interface Profile {
	userId: string;
	displayName: string | null;
	phone: string | null;
	preferences: Preferences;
}

export interface AddressFields {
	label?: string | null;
	recipient: string;
	line1: string;
	line2?: string | null;
	city: string;
	postalCode: string;
	country: string;
	isDefault?: boolean;
}

export interface Address extends Required<Omit<AddressFields, "label" | "line2">> {
	id: string;
	label: string | null;
	line2: string | null;
	isDefault: boolean;
}

interface ProfileRow {
	user_id: string;
	display_name: string | null;
	phone: string | null;
	preferences: string;
}

interface AddressRow {
	id: string;
	label: string | null;
	recipient: string;
	line1: string;
	line2: string | null;
	city: string;
	postal_code: string;
	country: string;
	is_default: number | boolean;
}

function toAddress(row: AddressRow): Address {
	return {
		id: row.id,
		label: row.label,
		recipient: row.recipient,
		line1: row.line1,
		line2: row.line2,
		city: row.city,
		postalCode: row.postal_code,
		country: row.country,
		isDefault: Boolean(row.is_default),
	};
}

const ADDRESS_COLUMNS = "id, label, recipient, line1, line2, city, postal_code, country, is_default";

/**
 * Profiles and addresses, always of one account (`userId` comes from the access token, never from
 * the request body). Changes that touch several rows (the default address) run in one transaction.
 */
export class UsersRepository {
	constructor(private readonly db: Sequelize) {}

	/** The stored profile, or an empty one for an account that never saved any. */
	async profile(userId: string, transaction?: Transaction, options: { forUpdate?: boolean } = {}): Promise<Profile> {
		// SQLite has no row locks (nor the syntax): its writers are serialised by the database lock.
		const lock = options.forUpdate && this.db.getDialect() === "mysql" ? " FOR UPDATE" : "";
		const [row] = await this.db.query<ProfileRow>(
			`SELECT user_id, display_name, phone, preferences FROM profiles WHERE user_id = ?${lock}`,
			{ replacements: [userId], type: QueryTypes.SELECT, transaction },
		);
		if (!row) return { userId, displayName: null, phone: null, preferences: {} };
		return {
			userId,
			displayName: row.display_name,
			phone: row.phone,
			preferences: JSON.parse(row.preferences) as Preferences,
		};
	}

	/**
	 * Changes the profile with `change(current)` (null clears a field); creates it on first write.
	 * The row is made first on its own (a concurrent maker's duplicate is fine), then read under a row
	 * lock and written in one transaction: concurrent writes queue on that one row instead of racing
	 * for a row that does not exist yet (InnoDB took gap locks there, and two first writes deadlocked),
	 * and a preferences merge never loses a concurrent one.
	 */
	async updateProfile(
		userId: string,
		change: (current: Profile) => Partial<Omit<Profile, "userId">>,
		now = Date.now(),
	): Promise<Profile> {
		await this.ensureProfile(userId, now);
		return this.db.transaction(async (transaction) => {
			const current = await this.profile(userId, transaction, { forUpdate: true });
			const next: Profile = { ...current, ...change(current), userId };
			await this.db.query(
				"UPDATE profiles SET display_name = ?, phone = ?, preferences = ?, updated_at = ? WHERE user_id = ?",
				{
					replacements: [next.displayName, next.phone, JSON.stringify(next.preferences), now, userId],
					type: QueryTypes.UPDATE,
					transaction,
				},
			);
			return next;
		});
	}

	private async ensureProfile(userId: string, now: number): Promise<void> {
		try {
			await this.db.query(
				"INSERT INTO profiles (user_id, display_name, phone, preferences, created_at, updated_at) VALUES (?, NULL, NULL, '{}', ?, ?)",
				{ replacements: [userId, now, now], type: QueryTypes.INSERT },
			);
		} catch (err) {
			if (!isUniqueViolation(err)) throw err;
		}
	}

	async addresses(userId: string): Promise<Address[]> {
		const rows = await this.db.query<AddressRow>(
			`SELECT ${ADDRESS_COLUMNS} FROM addresses WHERE user_id = ? ORDER BY created_at, id`,
			{ replacements: [userId], type: QueryTypes.SELECT },
		);
		return rows.map(toAddress);
	}

	/**
	 * Adds an address; the first one, or one marked `isDefault`, becomes the default (the previous
	 * default loses it in the same transaction). Null when the account already has `limit` addresses.
	 */
	async addAddress(userId: string, fields: AddressFields, limit: number, now = Date.now()): Promise<Address | null> {
		return this.db.transaction(async (transaction) => {
			const count = await this.countOf(userId, transaction);
			if (count >= limit) return null;
			const isDefault = count === 0 || fields.isDefault === true;
			if (isDefault) await this.clearDefault(userId, transaction);
			const address = { ...normalised(fields), id: randomUUID(), isDefault };
			await this.db.query(
				`INSERT INTO addresses (id, user_id, label, recipient, line1, line2, city, postal_code, country, is_default, created_at, updated_at)
				 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				{
					replacements: [address.id, userId, ...columnsOf(address), isDefault, now, now],
					type: QueryTypes.INSERT,
					transaction,
				},
			);
			return address;
		});
	}

	/** Replaces an address of `userId`; null when it has none with that id. */
	async replaceAddress(userId: string, id: string, fields: AddressFields, now = Date.now()): Promise<Address | null> {
		return this.db.transaction(async (transaction) => {
			const current = await this.addressRow(userId, id, transaction);
			if (!current) return null;
			// Only an explicit `isDefault: true` moves the default here; leaving it out keeps what it was.
			const isDefault = fields.isDefault === true || (fields.isDefault === undefined && Boolean(current.is_default));
			if (isDefault && !current.is_default) await this.clearDefault(userId, transaction);
			const address = { ...normalised(fields), id, isDefault };
			await this.db.query(
				`UPDATE addresses SET label = ?, recipient = ?, line1 = ?, line2 = ?, city = ?, postal_code = ?, country = ?,
				 is_default = ?, updated_at = ? WHERE id = ? AND user_id = ?`,
				{ replacements: [...columnsOf(address), isDefault, now, id, userId], type: QueryTypes.UPDATE, transaction },
			);
			return address;
		});
	}

	/** Removes an address; if it was the default, the oldest remaining one becomes it. False when not found. */
	async removeAddress(userId: string, id: string): Promise<boolean> {
		return this.db.transaction(async (transaction) => {
			const current = await this.addressRow(userId, id, transaction);
			if (!current) return false;
			await this.db.query("DELETE FROM addresses WHERE id = ? AND user_id = ?", {
				replacements: [id, userId],
				type: QueryTypes.DELETE,
				transaction,
			});
			if (current.is_default) {
				const [oldest] = await this.db.query<{ id: string }>(
					"SELECT id FROM addresses WHERE user_id = ? ORDER BY created_at, id LIMIT 1",
					{ replacements: [userId], type: QueryTypes.SELECT, transaction },
				);
				if (oldest) {
					await this.db.query("UPDATE addresses SET is_default = ? WHERE id = ?", {
						replacements: [true, oldest.id],
						type: QueryTypes.UPDATE,
						transaction,
					});
				}
			}
			return true;
		});
	}

	/** The address `id` if it is one of `userId`'s. */
	private async addressRow(userId: string, id: string, transaction: Transaction): Promise<AddressRow | undefined> {
		const [row] = await this.db.query<AddressRow>(
			`SELECT ${ADDRESS_COLUMNS} FROM addresses WHERE id = ? AND user_id = ?`,
			{
				replacements: [id, userId],
				type: QueryTypes.SELECT,
				transaction,
			},
		);
		return row;
	}

	private async countOf(userId: string, transaction: Transaction): Promise<number> {
		const [row] = await this.db.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM addresses WHERE user_id = ?", {
			replacements: [userId],
			type: QueryTypes.SELECT,
			transaction,
		});
		return Number(row?.n ?? 0);
	}

	private async clearDefault(userId: string, transaction: Transaction): Promise<void> {
		await this.db.query("UPDATE addresses SET is_default = ? WHERE user_id = ? AND is_default = ?", {
			replacements: [false, userId, true],
			type: QueryTypes.UPDATE,
			transaction,
		});
	}
}

/** Optional fields stored as null when absent. */
function normalised(fields: AddressFields): Omit<Address, "id" | "isDefault"> {
	return {
		label: fields.label ?? null,
		recipient: fields.recipient,
		line1: fields.line1,
		line2: fields.line2 ?? null,
		city: fields.city,
		postalCode: fields.postalCode,
		country: fields.country,
	};
}

function columnsOf(a: Omit<Address, "id" | "isDefault">): Array<string | null> {
	return [a.label, a.recipient, a.line1, a.line2, a.city, a.postalCode, a.country];
}
