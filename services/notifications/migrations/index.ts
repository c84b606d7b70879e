import type { Migration } from "../../../lib/db/migrator";
import { dedupMigration, outboxMigration } from "../../../lib/events/events-migrations";
import { createNotifications } from "./001-create-notifications";
import { compareKeysExactly } from "./002-compare-keys-exactly";

export const notificationsMigrations: Migration[] = [
	createNotifications,
	compareKeysExactly,
	outboxMigration,
	dedupMigration,
];
