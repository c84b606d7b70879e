import mysql from "mysql2/promise";
import type { Sequelize } from "sequelize";
import { createSequelize, ensureDatabase } from "../../lib/db/sequelize-factory";
import { testConfig, uniqueId } from "./brokers";
import { infra } from "./infra";

/** How to reach the test MariaDB server as the shop's user. */
function serverOptions(): mysql.ConnectionOptions {
	const url = new URL(infra.databaseUrl);
	return {
		host: url.hostname,
		port: Number(url.port || 3306),
		user: decodeURIComponent(url.username),
		password: decodeURIComponent(url.password),
	};
}

/** A small mysql2 pool on the test MariaDB server (no database selected: queries name `db`.`table`). */
export function testServerPool(connectionLimit = 2): mysql.Pool {
	return mysql.createPool({ ...serverOptions(), connectionLimit });
}

/** One connection of our own to the test MariaDB server, outside any service's pool. */
export function testServerConnection(database?: string): Promise<mysql.Connection> {
	return mysql.createConnection({ ...serverOptions(), database });
}

/**
 * A fresh, empty database of `service` for every test of the enclosing `describe` (on the MariaDB of
 * `env.DATABASE_URL`, else an embedded SQLite file), closed and dropped after it. Returns the current
 * test's connection.
 */
export function freshServiceDatabase(env: Record<string, string>, service: string): () => Sequelize {
	let db: Sequelize | undefined;
	beforeEach(async () => {
		const config = testConfig({ ...env, DB_NAME_PREFIX: `shop_t${uniqueId()}_` });
		await ensureDatabase(config, service);
		db = createSequelize(config, service);
	});
	afterEach(async () => {
		if (!db) return;
		if (db.getDialect() === "mysql") await db.query(`DROP DATABASE IF EXISTS \`${db.getDatabaseName()}\``);
		await db.close();
		db = undefined;
	});
	return () => {
		if (!db) throw new Error("freshServiceDatabase: only inside a test");
		return db;
	};
}
