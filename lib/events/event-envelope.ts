import { randomUUID } from "node:crypto";

/** What every durable event carries, whatever the broker. */
export interface EventEnvelope<TPayload = unknown> {
	/** Unique per event; consumers deduplicate on (eventId, consumer). */
	eventId: string;
	/** The topic, versioned: `order.created.v1`. */
	type: string;
	/** ISO-8601 time of the state change that produced it. */
	occurredAt: string;
	/** The aggregate's id: the partition / ordering key. */
	key: string;
	correlationId: string;
	payload: TPayload;
}

/** A new event of `type` about aggregate `key`. */
export function newEvent<T>(type: string, key: string, payload: T, correlationId: string): EventEnvelope<T> {
	return { eventId: randomUUID(), type, occurredAt: new Date().toISOString(), key, correlationId, payload };
}
