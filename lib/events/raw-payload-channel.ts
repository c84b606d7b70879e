/**
 * A channel option of ours: `rawPayload: true` hands the handler the message's bytes (a Buffer, null for
 * an empty Kafka value) instead of deserializing them, so a consumer that must take anything (the
 * dead-letter store) is not itself broken by bytes that are not JSON. Our adapters (ShopKafka, ShopNats,
 * ShopRedis, InProcess) honour it; the library's own NATS and Redis adapters would deserialize anyway.
 */
export interface RawPayloadOption {
	rawPayload?: boolean;
}

export function wantsRawPayload(chan: object): boolean {
	return (chan as RawPayloadOption).rawPayload === true;
}

/** What a channel's handler gets for a message's bytes: the bytes themselves (rawPayload), else them deserialized. */
export function contentOf(
	chan: object,
	bytes: Buffer | null,
	serializer: { deserialize(bytes: Buffer): unknown },
): unknown {
	return wantsRawPayload(chan) ? bytes : serializer.deserialize(bytes as Buffer);
}
