import { randomUUID } from "node:crypto";
import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import { isUniqueViolation } from "../../lib/db/query-results";
import type { ProductUpsertedPayload } from "../../lib/events/product-topics";
import { SkuTakenError } from "./products.errors";
import type { ProductSort } from "./products.params";

export type Product = ProductUpsertedPayload & { createdAt: string; updatedAt: string };
export type ProductFields = Omit<ProductUpsertedPayload, "id" | "sku" | "version">;

interface ProductRow {
	id: string;
	sku: string;
	name: string;
	description: string;
	category: string;
	price_cents: number | string;
	currency: string;
	active: number | boolean;
	version: number | string;
	created_at: number | string;
	updated_at: number | string;
}

const COLUMNS = "id, sku, name, description, category, price_cents, currency, active, version, created_at, updated_at";

function toProduct(row: ProductRow): Product {
	return {
		id: row.id,
		sku: row.sku,
		name: row.name,
		description: row.description,
		category: row.category,
		priceCents: Number(row.price_cents),
		currency: row.currency,
		active: Boolean(row.active),
		version: Number(row.version),
		createdAt: new Date(Number(row.created_at)).toISOString(),
		updatedAt: new Date(Number(row.updated_at)).toISOString(),
	};
}

export interface ProductQuery {
	page: number;
	size: number;
	category?: string;
	q?: string;
	minPriceCents?: number;
	maxPriceCents?: number;
	sort: ProductSort;
	activeOnly: boolean;
}

/** The writable fields in column order: name, description, category, price_cents, currency, active. */
function fieldValues(f: ProductFields): unknown[] {
	return [f.name, f.description, f.category, f.priceCents, f.currency, f.active];
}

/** Every sort ends on the id, so pages never repeat or skip a product whose key ties. */
const ORDER_BY: Record<ProductSort, string> = {
	// SQL has no relevance: a search it answers (search unavailable) comes newest first.
	relevance: "created_at DESC, id",
	newest: "created_at DESC, id",
	price_asc: "price_cents ASC, id",
	price_desc: "price_cents DESC, id",
	// Lower-cased: SQLite compares bytes ("Demo T-shirt" before "Demo mug"), MariaDB's collation does not.
	name: "LOWER(name) ASC, id",
};

/**
 * `%` and `_` in a search are letters, not wildcards. The escape character is `!`, not a backslash:
 * a backslash means different things in MariaDB's and SQLite's string literals.
 */
function likePattern(text: string): string {
	return `%${text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/** The catalog's SQL. Writes take the caller's transaction: the outbox event commits with them. */
export class ProductsRepository {
	constructor(private readonly db: Sequelize) {}

	async create(sku: string, fields: ProductFields, transaction: Transaction, now = Date.now()): Promise<Product> {
		const id = randomUUID();
		try {
			await this.db.query(`INSERT INTO products (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`, {
				replacements: [id, sku, ...fieldValues(fields), now, now],
				type: QueryTypes.INSERT,
				transaction,
			});
		} catch (err) {
			if (isUniqueViolation(err)) throw new SkuTakenError(sku);
			throw err;
		}
		return (await this.find(id, transaction)) as Product;
	}

	/** Replaces the product's fields and bumps its version; undefined when it does not exist. */
	async replace(
		id: string,
		fields: ProductFields,
		transaction: Transaction,
		now = Date.now(),
	): Promise<Product | undefined> {
		await this.db.query(
			`UPDATE products SET name = ?, description = ?, category = ?, price_cents = ?, currency = ?, active = ?,
			 version = version + 1, updated_at = ? WHERE id = ?`,
			{
				replacements: [...fieldValues(fields), now, id],
				type: QueryTypes.UPDATE,
				transaction,
			},
		);
		return this.find(id, transaction);
	}

	async remove(id: string, transaction: Transaction): Promise<Product | undefined> {
		const product = await this.find(id, transaction);
		if (!product) return undefined;
		await this.db.query("DELETE FROM products WHERE id = ?", {
			replacements: [id],
			type: QueryTypes.DELETE,
			transaction,
		});
		return product;
	}

	async find(id: string, transaction?: Transaction): Promise<Product | undefined> {
		const [row] = await this.db.query<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE id = ?`, {
			replacements: [id],
			type: QueryTypes.SELECT,
			transaction,
		});
		return row && toProduct(row);
	}

	/** The products with these ids that exist (in no particular order). */
	async findMany(ids: readonly string[]): Promise<Product[]> {
		if (ids.length === 0) return [];
		const rows = await this.db.query<ProductRow>(
			`SELECT ${COLUMNS} FROM products WHERE id IN (${ids.map(() => "?").join(", ")})`,
			{ replacements: [...ids], type: QueryTypes.SELECT },
		);
		return rows.map(toProduct);
	}

	/** The products with these SKUs that exist, in no particular order. */
	async findManyBySku(skus: readonly string[]): Promise<Product[]> {
		if (skus.length === 0) return [];
		const rows = await this.db.query<ProductRow>(
			`SELECT ${COLUMNS} FROM products WHERE sku IN (${skus.map(() => "?").join(", ")})`,
			{ replacements: [...skus], type: QueryTypes.SELECT },
		);
		return rows.map(toProduct);
	}

	/**
	 * Every product, active or not, in id order from after `afterId`: a keyset page that neither skips
	 * nor repeats a product while the catalog changes (an offset page would), for search's reindex.
	 */
	async scan(afterId: string | undefined, limit: number): Promise<Product[]> {
		const rows = await this.db.query<ProductRow>(
			`SELECT ${COLUMNS} FROM products ${afterId === undefined ? "" : "WHERE id > ?"} ORDER BY id LIMIT ?`,
			{ replacements: afterId === undefined ? [limit] : [afterId, limit], type: QueryTypes.SELECT },
		);
		return rows.map(toProduct);
	}

	/** One page of the products matching `query`, and how many match in all. */
	async list(query: ProductQuery): Promise<{ items: Product[]; total: number }> {
		const where: string[] = [];
		const values: unknown[] = [];
		if (query.activeOnly) where.push("active = ?") && values.push(true);
		if (query.category) where.push("category = ?") && values.push(query.category);
		if (query.minPriceCents !== undefined) where.push("price_cents >= ?") && values.push(query.minPriceCents);
		if (query.maxPriceCents !== undefined) where.push("price_cents <= ?") && values.push(query.maxPriceCents);
		if (query.q) {
			where.push(
				"(LOWER(name) LIKE ? ESCAPE '!' OR LOWER(description) LIKE ? ESCAPE '!' OR LOWER(sku) LIKE ? ESCAPE '!')",
			);
			const pattern = likePattern(query.q);
			values.push(pattern, pattern, pattern);
		}
		const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
		const [count] = await this.db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM products ${clause}`, {
			replacements: values,
			type: QueryTypes.SELECT,
		});
		const rows = await this.db.query<ProductRow>(
			`SELECT ${COLUMNS} FROM products ${clause} ORDER BY ${ORDER_BY[query.sort]} LIMIT ? OFFSET ?`,
			{ replacements: [...values, query.size, (query.page - 1) * query.size], type: QueryTypes.SELECT },
		);
		return { items: rows.map(toProduct), total: Number(count?.n ?? 0) };
	}
}
