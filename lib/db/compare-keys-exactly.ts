import type { Migration } from "./migrator";
import { convertToExactCollation } from "./mysql-server";

/**
 * A service's migration `name` that makes its database compare text byte for byte, as the code does
 * (convertToExactCollation; a no-op on SQLite). Down restores the PAD SPACE `utf8mb4_bin`.
 */
export function compareKeysExactlyMigration(name: string): Migration {
	return {
		name,
		async up(qi) {
			await convertToExactCollation(qi.sequelize);
		},
		async down(qi) {
			await convertToExactCollation(qi.sequelize, "utf8mb4_bin");
		},
	};
}
