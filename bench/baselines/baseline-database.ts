import type { Context } from "moleculer";
import mysql from "mysql2/promise";
import type { AppConfig } from "../../config";
import { setStockParams } from "../../services/inventory/inventory.params";
import { createBenchDatabase } from "../support/bench-database";

const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;

/**
 * The same two tables, columns and indexes as the inventory's migration, so the baselines write
 * rows as wide as the actor path does and the one invariant checker reads all three databases.
 */
const CREATE_TABLES = [
	`CREATE TABLE IF NOT EXISTS stock (
		sku VARCHAR(64) NOT NULL PRIMARY KEY,
		available INT NOT NULL,
		reserved INT NOT NULL,
		confirmed INT NOT NULL,
		version INT NOT NULL,
		updated_at BIGINT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS reservations (
		order_id VARCHAR(64) NOT NULL,
		sku VARCHAR(64) NOT NULL,
		quantity INT NOT NULL,
		status VARCHAR(16) NOT NULL,
		expires_at BIGINT NOT NULL,
		created_at BIGINT NOT NULL,
		updated_at BIGINT NOT NULL,
		PRIMARY KEY (sku, order_id),
		KEY reservations_status_expiry (status, expires_at)
	)`,
];

/** `<DB_NAME_PREFIX><name>`, as the shop names a service's database. */
export function baselineDatabaseName(config: AppConfig, name: string): string {
	const database = `${config.db.namePrefix}${name}`;
	if (!DATABASE_NAME.test(database)) throw new Error(`invalid database name "${database}"`);
	return database;
}

/**
 * Creates the baseline's database and tables if missing and returns a plain mysql2 pool on it,
 * as large as the inventory's Sequelize pool (DB_POOL_MAX), so neither side has more connections.
 */
export async function openBaselineDatabase(config: AppConfig, database: string): Promise<mysql.Pool> {
	const url = new URL(config.db.url);
	const credentials = {
		host: url.hostname,
		port: Number(url.port || 3306),
		user: decodeURIComponent(url.username),
		password: decodeURIComponent(url.password),
	};
	const admin = await mysql.createConnection(credentials);
	try {
		await createBenchDatabase(admin, database);
	} finally {
		await admin.end();
	}
	const pool = mysql.createPool({
		...credentials,
		database,
		connectionLimit: config.db.poolMax,
		waitForConnections: true,
	});
	for (const statement of CREATE_TABLES) await pool.query(statement);
	return pool;
}

/** Creates the SKU or sets its free quantity (bench setup, not measured). */
export async function setBaselineStock(pool: mysql.Pool, sku: string, available: number): Promise<void> {
	await pool.query(
		`INSERT INTO stock (sku, available, reserved, confirmed, version, updated_at) VALUES (?, ?, 0, 0, 1, ?)
		 ON DUPLICATE KEY UPDATE available = VALUES(available), version = version + 1, updated_at = VALUES(updated_at)`,
		[sku, available, Date.now()],
	);
}

/** The `setStock` action both SQL baselines share (their service state holds `pool`). */
export const setBaselineStockAction = {
	params: setStockParams,
	async handler(this: { pool: mysql.Pool }, ctx: Context<{ sku: string; available: number }>) {
		await setBaselineStock(this.pool, ctx.params.sku, ctx.params.available);
		return { sku: ctx.params.sku, available: ctx.params.available };
	},
};

/** Runs `work` in one transaction on one pooled connection: COMMIT when it returns, ROLLBACK when it throws. */
export async function inTransaction<T>(pool: mysql.Pool, work: (conn: mysql.PoolConnection) => Promise<T>): Promise<T> {
	const conn = await pool.getConnection();
	try {
		await conn.beginTransaction();
		try {
			const result = await work(conn);
			await conn.commit();
			return result;
		} catch (err) {
			await conn.rollback().catch(() => undefined);
			throw err;
		}
	} finally {
		conn.release();
	}
}
