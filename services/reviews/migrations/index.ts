import type { Migration } from "../../../lib/db/migrator";
import { outboxMigration } from "../../../lib/events/events-migrations";
import { createReviews } from "./001-create-reviews";
import { compareKeysExactly } from "./002-compare-keys-exactly";
import { addVerifiedPurchase } from "./003-add-verified-purchase";

export const reviewsMigrations: Migration[] = [createReviews, compareKeysExactly, addVerifiedPurchase, outboxMigration];
