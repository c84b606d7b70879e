import { QueryTypes, type Sequelize } from "sequelize";
import { affectedRows, isUniqueViolation } from "../../lib/db/query-results";
import type { KvStore } from "../../lib/kv";

/** One product in a cart, with its name and price when it was added. */
export interface CartLine {
	productId: string;
	quantity: number;
	name: string;
	priceCents: number;
	currency: string;
	addedAt: number;
}

/** Where one kind of cart is kept; `owner` is a user id or a guest cart id. */
export interface CartStore {
	lines(owner: string): Promise<CartLine[]>;
	/** Writes the line (replacing one of the same product). */
	put(owner: string, line: CartLine): Promise<void>;
	/**
	 * Adds `line.quantity` to what the cart holds of the product (with the line's name and price), or
	 * starts the line; false, changing nothing, when that would pass `maxQuantity`. `held`: whether the
	 * cart held the product when the caller read it (a hint for the first statement; any answer is correct).
	 */
	add(owner: string, line: CartLine, maxQuantity: number, held?: boolean): Promise<boolean>;
	remove(owner: string, productId: string): Promise<void>;
	clear(owner: string): Promise<void>;
}

/**
 * Guests' carts: one JSON document per cart in the key-value store (Redis in a cluster), expiring
 * `ttlMs` after its last change. Writes read, change and write the document: two concurrent changes
 * to one guest cart can lose one (a guest has one browser; signed-in carts are rows).
 */
export class GuestCarts implements CartStore {
	constructor(
		private readonly kv: KvStore,
		private readonly ttlMs: number,
	) {}

	async lines(cartId: string): Promise<CartLine[]> {
		const stored = await this.kv.get(`guest:${cartId}`);
		return stored ? (JSON.parse(stored) as CartLine[]) : [];
	}

	async put(cartId: string, line: CartLine): Promise<void> {
		const others = (await this.lines(cartId)).filter((l) => l.productId !== line.productId);
		await this.kv.set(`guest:${cartId}`, JSON.stringify([...others, line]), this.ttlMs);
	}

	async add(cartId: string, line: CartLine, maxQuantity: number): Promise<boolean> {
		const current = (await this.lines(cartId)).find((l) => l.productId === line.productId);
		const quantity = (current?.quantity ?? 0) + line.quantity;
		if (quantity > maxQuantity) return false;
		await this.put(cartId, { ...line, quantity, addedAt: current?.addedAt ?? line.addedAt });
		return true;
	}

	async remove(cartId: string, productId: string): Promise<void> {
		const lines = await this.lines(cartId);
		const rest = lines.filter((l) => l.productId !== productId);
		if (rest.length !== lines.length) await this.kv.set(`guest:${cartId}`, JSON.stringify(rest), this.ttlMs);
	}

	async clear(cartId: string): Promise<void> {
		await this.kv.delete(`guest:${cartId}`);
	}
}

interface LineRow {
	product_id: string;
	quantity: number | string;
	name: string;
	price_cents: number | string;
	currency: string;
	added_at: number | string;
}

/** Signed-in shoppers' carts: one row per line, keyed by (user, product). */
export class UserCarts implements CartStore {
	constructor(private readonly db: Sequelize) {}

	async lines(userId: string): Promise<CartLine[]> {
		const rows = await this.db.query<LineRow>(
			"SELECT product_id, quantity, name, price_cents, currency, added_at FROM cart_lines WHERE user_id = ? ORDER BY added_at, product_id",
			{ replacements: [userId], type: QueryTypes.SELECT },
		);
		return rows.map((r) => ({
			productId: r.product_id,
			quantity: Number(r.quantity),
			name: r.name,
			priceCents: Number(r.price_cents),
			currency: r.currency,
			addedAt: Number(r.added_at),
		}));
	}

	/**
	 * Update, else insert, else (a concurrent insert won) update: single statements, no transaction.
	 * A DELETE-then-INSERT transaction takes gap locks in InnoDB, and two of them on one new line
	 * deadlock.
	 */
	async put(userId: string, line: CartLine): Promise<void> {
		if (await this.update(userId, line)) return;
		try {
			await this.insert(userId, line);
		} catch (err) {
			if (!isUniqueViolation(err)) throw err;
			await this.update(userId, line);
		}
	}

	/**
	 * One conditional UPDATE adds to an existing line, so concurrent adds all count; a line that does
	 * not exist yet is inserted (a concurrent insert of it makes this one add instead).
	 */
	async add(userId: string, line: CartLine, maxQuantity: number, held = true): Promise<boolean> {
		if (line.quantity > maxQuantity) return false;
		// A product the cart did not hold a moment ago is most likely still new to it: one INSERT starts
		// the line (an UPDATE and a SELECT finding nothing first were two statements more per new line).
		// A concurrent first add that won the INSERT makes this one add to it below.
		if (!held) {
			try {
				await this.insert(userId, line);
				return true;
			} catch (err) {
				if (!isUniqueViolation(err)) throw err;
			}
		}
		// Each turn either adds, finds the limit, or sees the line appear meanwhile (a concurrent first add
		// committed between the UPDATE and the SELECT, or won the INSERT) and adds on the next turn.
		for (let attempt = 0; attempt < 5; attempt++) {
			const added = await this.db.query(
				`UPDATE cart_lines SET quantity = quantity + ?, name = ?, price_cents = ?, currency = ?
				 WHERE user_id = ? AND product_id = ? AND quantity + ? <= ?`,
				{
					replacements: [
						line.quantity,
						line.name,
						line.priceCents,
						line.currency,
						userId,
						line.productId,
						line.quantity,
						maxQuantity,
					],
					type: QueryTypes.UPDATE,
				},
			);
			if (affectedRows(added) > 0) return true;
			const [current] = await this.db.query<{ quantity: number | string }>(
				"SELECT quantity FROM cart_lines WHERE user_id = ? AND product_id = ?",
				{ replacements: [userId, line.productId], type: QueryTypes.SELECT },
			);
			if (current) {
				if (Number(current.quantity) + line.quantity > maxQuantity) return false;
				continue;
			}
			try {
				await this.insert(userId, line);
				return true;
			} catch (err) {
				if (!isUniqueViolation(err)) throw err;
			}
		}
		throw new Error(`cart line ${userId}/${line.productId} kept changing under the add`);
	}

	private async insert(userId: string, line: CartLine): Promise<void> {
		await this.db.query(
			"INSERT INTO cart_lines (user_id, product_id, quantity, name, price_cents, currency, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			{
				replacements: [userId, line.productId, line.quantity, line.name, line.priceCents, line.currency, line.addedAt],
				type: QueryTypes.INSERT,
			},
		);
	}

	private async update(userId: string, line: CartLine): Promise<boolean> {
		const result = await this.db.query(
			"UPDATE cart_lines SET quantity = ?, name = ?, price_cents = ?, currency = ? WHERE user_id = ? AND product_id = ?",
			{
				replacements: [line.quantity, line.name, line.priceCents, line.currency, userId, line.productId],
				type: QueryTypes.UPDATE,
			},
		);
		return affectedRows(result) > 0;
	}

	async remove(userId: string, productId: string): Promise<void> {
		await this.db.query("DELETE FROM cart_lines WHERE user_id = ? AND product_id = ?", {
			replacements: [userId, productId],
			type: QueryTypes.DELETE,
		});
	}

	async clear(userId: string): Promise<void> {
		await this.db.query("DELETE FROM cart_lines WHERE user_id = ?", {
			replacements: [userId],
			type: QueryTypes.DELETE,
		});
	}
}
