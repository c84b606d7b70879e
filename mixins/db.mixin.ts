import type { ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import { appConfigOf } from "../config/app-config-of";
import { type Migration, migrate } from "../lib/db/migrator";
import { createSequelize, ensureDatabase } from "../lib/db/sequelize-factory";
import { defineMixin } from "../lib/define-schema";

export interface DbMixinOptions {
	/** The database's logical name, usually the service name: one database per service. */
	database: string;
	/** The service's schema, applied in order at start (never `sync()`). */
	migrations: readonly Migration[];
}

/**
 * Gives a service its own database: MariaDB/MySQL when DATABASE_URL is set (the database is
 * created if missing), else a SQLite file under DATA_DIR. Migrations run before the service's own
 * `started` handler, so handlers always see the current schema. The connection is `this.sequelize`;
 * transactional code takes the transaction as an argument.
 */
export function DbMixin(options: DbMixinOptions): Partial<ServiceSchema> {
	return defineMixin<{ sequelize: Sequelize }>({
		async started() {
			const config = appConfigOf(this.broker);
			await ensureDatabase(config, options.database);
			this.sequelize = createSequelize(config, options.database);
			await this.sequelize.authenticate();
			if (this.sequelize.getDialect() === "sqlite") {
				// WAL lets readers run beside the single writer (persistent per file).
				await this.sequelize.query("PRAGMA journal_mode=WAL");
			}
			const applied = await migrate(this.sequelize, options.migrations);
			if (applied.length > 0) this.logger.info(`Applied migrations: ${applied.join(", ")}`);
		},

		async stopped() {
			await this.sequelize?.close();
		},
	});
}
