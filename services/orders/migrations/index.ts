import type { Migration } from "../../../lib/db/migrator";
import { dedupMigration, outboxMigration } from "../../../lib/events/events-migrations";
import { createOrders } from "./001-create-orders";

export const ordersMigrations: Migration[] = [createOrders, outboxMigration, dedupMigration];
