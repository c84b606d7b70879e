import type { Migration } from "../../../lib/db/migrator";
import { createUsersAndRefreshTokens } from "./001-create-users-and-refresh-tokens";
import { createOidcIdentities } from "./002-create-oidc-identities";

export const authMigrations: Migration[] = [createUsersAndRefreshTokens, createOidcIdentities];
