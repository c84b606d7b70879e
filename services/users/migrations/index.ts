import type { Migration } from "../../../lib/db/migrator";
import { createProfilesAndAddresses } from "./001-create-profiles-and-addresses";

export const usersMigrations: Migration[] = [createProfilesAndAddresses];
