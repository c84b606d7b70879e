import fs from "node:fs";
import path from "node:path";
import { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { exactCollationOf } from "./mysql-server";
import { sqliteModule } from "./sqlite-module";
import { serializeSqliteWrites } from "./sqlite-writes";

const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** The database a service owns: `<prefix><service>` on MariaDB, `<DATA_DIR>/<service>.sqlite` embedded. */
export function databaseNameFor(config: AppConfig, service: string): string {
	const name = `${config.db.namePrefix}${service}`.replace(/-/g, "_");
	if (!DATABASE_NAME.test(name)) throw new Error(`invalid database name "${name}"`);
	return name;
}

/**
 * `mysql://user:password@host:port`, optionally `?socket=/path/to/mysqld.sock`: then the server is reached
 * through its Unix socket (host and port unused), which costs far less CPU per statement than loopback TCP
 * when the database runs on the same machine (measured in bench/CHECKOUT_RESULTS.md).
 */
export function mysqlOptions(url: URL) {
	const socketPath = url.searchParams.get("socket") || undefined;
	return {
		dialect: "mysql" as const,
		host: url.hostname,
		port: Number(url.port || 3306),
		username: decodeURIComponent(url.username),
		password: decodeURIComponent(url.password),
		logging: false as const,
		dialectOptions: { connectTimeout: 5000, ...(socketPath ? { socketPath } : {}) },
	};
}

/** Creates the service's database on the server if it is missing (MariaDB/MySQL only). */
export async function ensureDatabase(config: AppConfig, service: string): Promise<void> {
	if (!config.db.url) return;
	const admin = new Sequelize({ ...mysqlOptions(new URL(config.db.url)), pool: { max: 1 } });
	try {
		const collation = await exactCollationOf(admin);
		await admin.query(
			`CREATE DATABASE IF NOT EXISTS \`${databaseNameFor(config, service)}\` CHARACTER SET utf8mb4 COLLATE ${collation}`,
		);
	} finally {
		await admin.close();
	}
}

/** A Sequelize instance on the service's own database. */
export function createSequelize(config: AppConfig, service: string): Sequelize {
	if (config.db.url) {
		return new Sequelize({
			...mysqlOptions(new URL(config.db.url)),
			database: databaseNameFor(config, service),
			pool: { max: config.db.poolMax, min: 0, acquire: 10_000, idle: 10_000 },
		});
	}
	fs.mkdirSync(config.dataDir, { recursive: true });
	const sqlite = new Sequelize({
		dialect: "sqlite",
		dialectModule: sqliteModule,
		storage: path.join(config.dataDir, `${databaseNameFor(config, service)}.sqlite`),
		logging: false,
	});
	serializeSqliteWrites(sqlite);
	return sqlite;
}
