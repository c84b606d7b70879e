import type { Migration } from "../../../lib/db/migrator";
import { dedupMigration, outboxMigration } from "../../../lib/events/events-migrations";
import { createPayments } from "./001-create-payments";
import { createPaymentWebhookEvents } from "./002-create-payment-webhook-events";
import { createProviderDeadLetters } from "./003-create-provider-dead-letters";
import { compareKeysExactly } from "./004-compare-keys-exactly";

export const paymentsMigrations: Migration[] = [
	createPayments,
	createPaymentWebhookEvents,
	createProviderDeadLetters,
	compareKeysExactly,
	outboxMigration,
	dedupMigration,
];
