import type { Migration } from "../../../lib/db/migrator";
import { convertToExactCollation } from "../../../lib/db/mysql-server";

/**
 * Order ids, intent ids and event ids compare byte for byte, as they do in the code: under MariaDB's
 * PAD SPACE `utf8mb4_bin`, an order id with a trailing space would find another order's payment.
 */
export const compareKeysExactly: Migration = {
	name: "004-compare-keys-exactly",
	async up(qi) {
		await convertToExactCollation(qi.sequelize);
	},
	async down(qi) {
		await convertToExactCollation(qi.sequelize, "utf8mb4_bin");
	},
};
