import type { Migration } from "../../../lib/db/migrator";
import { convertToExactCollation } from "../../../lib/db/mysql-server";

/**
 * SKUs and order ids compare byte for byte in the database, as they do in the actors. Under the PAD
 * SPACE `utf8mb4_bin` the database was created with, 'SKU-1 ' was the same row as 'SKU-1': a reserve
 * of one took the other's stock, and an order id with a trailing space got another order's answer.
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
