import type { Migration } from "../../../lib/db/migrator";
import { dedupMigration } from "../../../lib/events/events-migrations";
import { createReindexJobs } from "./001-create-reindex-jobs";

export const searchMigrations: Migration[] = [createReindexJobs, dedupMigration];
