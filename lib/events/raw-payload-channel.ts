/**
 * A channel option of ours: `rawPayload: true` hands the handler the message's bytes (a Buffer, null for
 * an empty Kafka value) instead of deserializing them, so a consumer that must take anything (the
 * dead-letter store) is not itself broken by bytes that are not JSON. The ShopKafka and InProcess adapters
 * honour it; the NATS JetStream and Redis Streams adapters deserialize anyway.
 */
export interface RawPayloadOption {
	rawPayload?: boolean;
}

export function wantsRawPayload(chan: object): boolean {
	return (chan as RawPayloadOption).rawPayload === true;
}
