import type mysql from "mysql2/promise";
import type { SearchDocument } from "../../services/search/engines/search-engine";

/** Rows per INSERT: ~1 MB of SQL for these products, far under max_allowed_packet. */
const ROWS_PER_INSERT = 1_000;

/**
 * Writes `documents` into `<database>.products` (the catalog's table, as its migration made it) with
 * multi-row INSERTs, straight to SQL: no outbox event, so nothing but a reindex brings them to search.
 * Each product is one millisecond older than the one before, so "newest first" is a total order.
 */
export async function insertProducts(
	conn: mysql.Connection,
	database: string,
	documents: readonly SearchDocument[],
	now = Date.now(),
): Promise<void> {
	for (let i = 0; i < documents.length; i += ROWS_PER_INSERT) {
		const rows = documents.slice(i, i + ROWS_PER_INSERT).map((d, j) => {
			const at = now - (i + j);
			return [d.id, d.sku, d.name, d.description, d.category, d.priceCents, d.currency, d.active, d.version, at, at];
		});
		await conn.query(
			`INSERT INTO \`${database}\`.products
			 (id, sku, name, description, category, price_cents, currency, active, version, created_at, updated_at) VALUES ?`,
			[rows],
		);
	}
}
