import type { Migration } from "../../../lib/db/migrator";
import { dedupMigration } from "../../../lib/events/events-migrations";
import { createReindexJobs } from "./001-create-reindex-jobs";
import { addReindexRunSlot } from "./002-reindex-run-slot";

export const searchMigrations: Migration[] = [createReindexJobs, addReindexRunSlot, dedupMigration];
