/**
 * The same-run baseline: the catalog's SQL `LIKE` search, as `GET /api/products?q=` answered before search
 * existed (and still answers when search is down): `ProductsRepository.list` with `q`, on a Sequelize
 * connection to a products table of the bench's own database, made by the catalog's own migrations.
 */
import type mysql from "mysql2/promise";
import { Sequelize } from "sequelize";
import { migrate } from "../../lib/db/migrator";
import { productsMigrations } from "../../services/products/migrations";
import { type ProductQuery, ProductsRepository } from "../../services/products/products.repository";
import type { SearchDocument, SearchQuery } from "../../services/search/engines/search-engine";
import { onCleanup } from "../support/cleanup";
import { insertProducts } from "./products-table";

export interface SqlBaseline {
	/** Empties the table and writes `catalog` into it; answers the ms it took. */
	load(catalog: readonly SearchDocument[]): Promise<number>;
	/** One search through the repository's list query. */
	search(query: SearchQuery): Promise<{ total: number }>;
}

export function asProductQuery(query: SearchQuery): ProductQuery {
	return {
		page: query.page,
		size: query.size,
		activeOnly: query.activeOnly,
		// The order the list gives a text search when SQL answers it (newest first, then id).
		sort: "relevance",
		...(query.q === undefined ? {} : { q: query.q }),
		...(query.category === undefined ? {} : { category: query.category }),
		...(query.minPriceCents === undefined ? {} : { minPriceCents: query.minPriceCents }),
		...(query.maxPriceCents === undefined ? {} : { maxPriceCents: query.maxPriceCents }),
	};
}

/** Opens the baseline on `database` (created empty by the caller, dropped by the caller's cleanup). */
export async function openSqlBaseline(
	admin: mysql.Connection,
	databaseUrl: string,
	database: string,
): Promise<SqlBaseline> {
	const url = new URL(databaseUrl);
	const sequelize = new Sequelize({
		dialect: "mysql",
		host: url.hostname,
		port: Number(url.port || 3306),
		username: decodeURIComponent(url.username),
		password: decodeURIComponent(url.password),
		database,
		logging: false,
		pool: { max: 2, min: 0 },
	});
	onCleanup("close SQL baseline connection", () => sequelize.close());
	await migrate(sequelize, productsMigrations);
	const repository = new ProductsRepository(sequelize);
	return {
		async load(catalog) {
			const started = performance.now();
			await admin.query(`TRUNCATE TABLE \`${database}\`.products`);
			await insertProducts(admin, database, catalog);
			// Fresh statistics, as a table that has lived a while would have.
			await admin.query(`ANALYZE TABLE \`${database}\`.products`);
			return performance.now() - started;
		},
		search: (query) => repository.list(asProductQuery(query)),
	};
}
