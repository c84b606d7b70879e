import type { EventEnvelope } from "../../lib/events/event-envelope";
import {
	PRODUCT_TOPIC,
	type ProductDeletedPayload,
	type ProductUpsertedPayload,
} from "../../lib/events/product-topics";
import type { IndexChange } from "./engines/search-engine";
import { toSearchDocument } from "./reindex-job";

/** What the channel handlers need from the search service. */
export interface IndexChannelsHost {
	/** Applies the change once per event (consumer dedup), version-checked by the engine. */
	indexFromEvent(envelope: EventEnvelope, change: IndexChange): Promise<void>;
	logger: { warn(msg: string): void };
}

function isUpserted(p: unknown): p is ProductUpsertedPayload {
	const d = p as Partial<ProductUpsertedPayload> | null;
	return (
		typeof d?.id === "string" &&
		typeof d.sku === "string" &&
		typeof d.name === "string" &&
		typeof d.category === "string" &&
		Number.isInteger(d.priceCents) &&
		typeof d.currency === "string" &&
		typeof d.active === "boolean" &&
		Number.isInteger(d.version)
	);
}

function isDeleted(p: unknown): p is ProductDeletedPayload {
	const d = p as Partial<ProductDeletedPayload> | null;
	return typeof d?.id === "string" && Number.isInteger(d.version);
}

/**
 * The index follows the catalog's events. A payload that is not a product cannot be applied however
 * often it is redelivered: it is logged and acknowledged, not retried into the dead letters.
 */
export function productIndexChannels(group: string) {
	return {
		[PRODUCT_TOPIC.upserted]: {
			group,
			async handler(this: IndexChannelsHost, envelope: EventEnvelope<unknown>): Promise<void> {
				if (!isUpserted(envelope?.payload)) {
					this.logger.warn(`Event ${envelope?.eventId} (${PRODUCT_TOPIC.upserted}) is not a product: ignored`);
					return;
				}
				const { payload } = envelope;
				const document = toSearchDocument({ ...payload, description: payload.description ?? "" });
				await this.indexFromEvent(envelope, { kind: "upsert", document });
			},
		},
		[PRODUCT_TOPIC.deleted]: {
			group,
			async handler(this: IndexChannelsHost, envelope: EventEnvelope<unknown>): Promise<void> {
				if (!isDeleted(envelope?.payload)) {
					this.logger.warn(`Event ${envelope?.eventId} (${PRODUCT_TOPIC.deleted}) names no product: ignored`);
					return;
				}
				const { id, version } = envelope.payload;
				await this.indexFromEvent(envelope, { kind: "delete", id, version });
			},
		},
	};
}
