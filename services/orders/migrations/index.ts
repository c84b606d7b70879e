import type { Migration } from "../../../lib/db/migrator";
import { dedupMigration, outboxMigration } from "../../../lib/events/events-migrations";
import { createOrders } from "./001-create-orders";
import { indexStockDecisions } from "./002-index-stock-decisions";

export const ordersMigrations: Migration[] = [createOrders, outboxMigration, dedupMigration, indexStockDecisions];
