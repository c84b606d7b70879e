import type { Migration } from "../../../lib/db/migrator";
import { createReviews } from "./001-create-reviews";
import { compareKeysExactly } from "./002-compare-keys-exactly";

export const reviewsMigrations: Migration[] = [createReviews, compareKeysExactly];
