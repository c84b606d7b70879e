import type { Migration } from "../../../lib/db/migrator";
import { dedupMigration, outboxMigration } from "../../../lib/events/events-migrations";
import { createStockAndReservations } from "./001-create-stock-and-reservations";
import { createOrderHolds } from "./002-create-order-holds";
import { keyReservationsBySkuAndOrder } from "./003-key-reservations-by-sku-and-order";
import { compareKeysExactly } from "./004-compare-keys-exactly";

export const inventoryMigrations: Migration[] = [
	createStockAndReservations,
	createOrderHolds,
	keyReservationsBySkuAndOrder,
	compareKeysExactly,
	outboxMigration,
	dedupMigration,
];
