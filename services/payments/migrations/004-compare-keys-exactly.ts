import { compareKeysExactlyMigration } from "../../../lib/db/compare-keys-exactly";

/**
 * Order ids, intent ids and event ids compare byte for byte, as they do in the code: under MariaDB's
 * PAD SPACE `utf8mb4_bin`, an order id with a trailing space would find another order's payment.
 */
export const compareKeysExactly = compareKeysExactlyMigration("004-compare-keys-exactly");
