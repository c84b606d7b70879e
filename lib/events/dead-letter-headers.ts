/**
 * The headers a dead letter carries besides the message's own: where it failed and why. Our adapters
 * (ShopKafka, ShopNats, ShopRedis, InProcess) write them when they dead-letter a message; the events
 * service's store reads them into columns and keeps only the message's own headers, which a requeue sends again.
 */
import type * as Constants from "@moleculer/channels/types/src/constants";

// The constants module ships without a declaration next to it; its types live under types/.
const C: typeof Constants = require("@moleculer/channels/src/constants");

export const HEADER_ORIGINAL_CHANNEL = C.HEADER_ORIGINAL_CHANNEL;
export const HEADER_ORIGINAL_GROUP = C.HEADER_ORIGINAL_GROUP;
/**
 * Where the message was first delivered to the group. Kafka: partition and offset (retries are copies at
 * later offsets). JetStream: the offset is the message's stream sequence (a retry is the message itself,
 * delivered again), in the stream named by `x-original-stream`. Redis Streams: the offset is the entry id.
 */
export const HEADER_ORIGINAL_PARTITION = "x-original-partition";
export const HEADER_ORIGINAL_OFFSET = "x-original-offset";
export const HEADER_ORIGINAL_STREAM = "x-original-stream";
/** The Redis Streams adapter's name for the dead message's entry id (kept for readers of its format). */
export const HEADER_ORIGINAL_ID = "x-original-id";
/** The last handler (or deserializer) error; newer @moleculer/channels releases use these names. */
export const HEADER_ERROR_MESSAGE = "x-error-message";
export const HEADER_ERROR_NAME = "x-error-name";
export const HEADER_ERROR_CODE = "x-error-code";
export const HEADER_ERROR_STACK = "x-error-stack";
/** Consumer group the message is addressed to: the Kafka adapter's retries and our requeues set it. */
export const HEADER_GROUP = C.HEADER_GROUP;

/** Headers of the adapters' retry and dead-letter bookkeeping, never part of the message itself. */
const BOOKKEEPING = new Set<string>([
	HEADER_ORIGINAL_CHANNEL,
	HEADER_ORIGINAL_GROUP,
	HEADER_ORIGINAL_PARTITION,
	HEADER_ORIGINAL_OFFSET,
	HEADER_ORIGINAL_STREAM,
	HEADER_ORIGINAL_ID,
	HEADER_ERROR_MESSAGE,
	HEADER_ERROR_NAME,
	HEADER_ERROR_CODE,
	HEADER_ERROR_STACK,
	HEADER_GROUP,
	C.HEADER_REDELIVERED_COUNT,
]);

/** Kafka truncates nothing, but a stack of a deep async chain is no use past its first frames. */
const MAX_STACK_CHARS = 4000;

/** The error headers of a dead letter. */
export function errorHeaders(error: unknown): Record<string, string> {
	if (!(error instanceof Error)) return { [HEADER_ERROR_MESSAGE]: String(error) };
	const { code } = error as { code?: unknown };
	return {
		[HEADER_ERROR_MESSAGE]: error.message,
		[HEADER_ERROR_NAME]: error.name,
		...(code != null && { [HEADER_ERROR_CODE]: String(code) }),
		...(error.stack && { [HEADER_ERROR_STACK]: error.stack.slice(0, MAX_STACK_CHARS) }),
	};
}

/** The message's own headers: `headers` without the adapters' bookkeeping. */
export function messageHeaders<T>(headers: Record<string, T>): Record<string, T> {
	return Object.fromEntries(Object.entries(headers).filter(([name]) => !BOOKKEEPING.has(name)));
}
