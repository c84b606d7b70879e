import type { Migration } from "../../../lib/db/migrator";
import { createCartLines } from "./001-create-cart-lines";

export const cartMigrations: Migration[] = [createCartLines];
