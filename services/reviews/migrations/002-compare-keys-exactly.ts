import type { Migration } from "../../../lib/db/migrator";
import { convertToExactCollation } from "../../../lib/db/mysql-server";

/** Ids compare byte for byte, as in the code (not under MariaDB's PAD SPACE collations). */
export const compareKeysExactly: Migration = {
	name: "002-compare-keys-exactly",
	async up(qi) {
		await convertToExactCollation(qi.sequelize);
	},
	async down(qi) {
		await convertToExactCollation(qi.sequelize, "utf8mb4_bin");
	},
};
