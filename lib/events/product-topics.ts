/** The catalog's durable events (through the outbox), keyed by product id. */
export const PRODUCT_TOPIC = {
	upserted: "product.upserted.v1",
	deleted: "product.deleted.v1",
} as const;

/** `product.upserted.v1`: the product as it now is (the whole of it: consumers replace their copy). */
export interface ProductUpsertedPayload {
	id: string;
	sku: string;
	name: string;
	description: string;
	category: string;
	priceCents: number;
	currency: string;
	active: boolean;
	version: number;
}

/** `product.deleted.v1` */
export interface ProductDeletedPayload {
	id: string;
	sku: string;
	version: number;
}
