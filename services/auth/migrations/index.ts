import type { Migration } from "../../../lib/db/migrator";
import { createUsersAndRefreshTokens } from "./001-create-users-and-refresh-tokens";

export const authMigrations: Migration[] = [createUsersAndRefreshTokens];
