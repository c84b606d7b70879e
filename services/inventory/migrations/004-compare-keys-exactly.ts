import { compareKeysExactlyMigration } from "../../../lib/db/compare-keys-exactly";

/**
 * SKUs and order ids compare byte for byte in the database, as they do in the actors. Under the PAD
 * SPACE `utf8mb4_bin` the database was created with, 'SKU-1 ' was the same row as 'SKU-1': a reserve
 * of one took the other's stock, and an order id with a trailing space got another order's answer.
 */
export const compareKeysExactly = compareKeysExactlyMigration("004-compare-keys-exactly");
