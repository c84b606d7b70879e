import { compareKeysExactlyMigration } from "../../../lib/db/compare-keys-exactly";

/** User ids and event ids compare byte for byte, as in the code (not under MariaDB's PAD SPACE collations). */
export const compareKeysExactly = compareKeysExactlyMigration("002-compare-keys-exactly");
