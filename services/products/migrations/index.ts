import type { Migration } from "../../../lib/db/migrator";
import { outboxMigration } from "../../../lib/events/events-migrations";
import { createProducts } from "./001-create-products";

export const productsMigrations: Migration[] = [createProducts, outboxMigration];
