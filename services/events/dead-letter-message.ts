/**
 * The dead-letter topic's messages as the store keeps them, and the message a requeue sends again. The
 * store's channel takes the bytes raw (`rawPayload`, honoured by all our adapters), so a message that is
 * not JSON is kept like any other.
 */
import {
	HEADER_ERROR_MESSAGE,
	HEADER_GROUP,
	HEADER_ORIGINAL_CHANNEL,
	HEADER_ORIGINAL_GROUP,
	HEADER_ORIGINAL_OFFSET,
	HEADER_ORIGINAL_PARTITION,
	messageHeaders,
} from "../../lib/events/dead-letter-headers";
import type { DeadLetter, DeadLetterBytes, NewDeadLetter } from "./dead-letter.repository";

/** What the store needs of the channels adapter that delivered the message. */
export interface DeadLetterAdapter {
	parseMessageHeaders(raw: unknown): Record<string, unknown> | null;
	serializer: { serialize(payload: unknown): Buffer };
}

/** The adapters' "raw" message: kafkajs' `{ key, value }`, in-process `{ key }`, a JetStream message's `data`. */
interface RawMessage {
	key?: Buffer | string | null;
	value?: Buffer | null;
	data?: Uint8Array;
}

/** The bytes as consumed (`rawPayload`); the JSON serialized again only for an adapter that deserialized it. */
function bytesOf(payload: unknown, raw: RawMessage | undefined, adapter: DeadLetterAdapter): Buffer | null {
	if (Buffer.isBuffer(payload)) return payload;
	if (raw?.value === null) return null;
	if (raw?.data instanceof Uint8Array) return Buffer.from(raw.data);
	return adapter.serializer.serialize(payload);
}

function parsedJson(bytes: Buffer | null): unknown {
	if (bytes === null) return null;
	try {
		return JSON.parse(bytes.toString("utf8"));
	} catch {
		return null;
	}
}

function textHeaders(headers: Record<string, unknown>): Record<string, string> {
	return Object.fromEntries(
		Object.entries(headers)
			.filter(([, value]) => value != null)
			.map(([name, value]) => [name, String(value)]),
	);
}

function partitionOf(text: string | undefined): number | null {
	return text !== undefined && /^\d{1,9}$/.test(text) ? Number(text) : null;
}

/** The row to store for one message of the dead-letter topic. */
export function deadLetterOf(payload: unknown, raw: unknown, adapter: DeadLetterAdapter): NewDeadLetter {
	const rawMessage = raw as RawMessage | undefined;
	const all = textHeaders((raw == null ? null : adapter.parseMessageHeaders(raw)) ?? {});
	const value = bytesOf(payload, rawMessage, adapter);
	const parsed = parsedJson(value);
	const eventId = (parsed as { eventId?: unknown } | null)?.eventId;
	const key = rawMessage?.key;
	return {
		eventId: typeof eventId === "string" ? eventId : (all.eventId ?? null),
		originalChannel: all[HEADER_ORIGINAL_CHANNEL] ?? "unknown",
		originalGroup: all[HEADER_ORIGINAL_GROUP] ?? null,
		originalPartition: partitionOf(all[HEADER_ORIGINAL_PARTITION]),
		originalOffset: all[HEADER_ORIGINAL_OFFSET] ?? null,
		headers: messageHeaders(all),
		error: all[HEADER_ERROR_MESSAGE] ?? null,
		payload: parsed,
		key: key == null ? null : Buffer.from(key),
		value,
	};
}

/** What `requeueDeadLetter` publishes, through the adapter, to the channel the message came from. */
export interface RequeueMessage {
	channel: string;
	payload: unknown;
	opts: { raw?: boolean; key?: Buffer | string; headers: Record<string, string> };
}

/**
 * The same bytes, key and headers again, addressed to the group that failed them (the `x-group` header: in
 * our adapters the channel's other groups acknowledge it unhandled). A row from before the bytes were kept
 * is sent as its JSON payload, as it was then.
 */
export function requeueMessage(letter: DeadLetter, bytes: DeadLetterBytes): RequeueMessage {
	const addressed = letter.originalGroup ? { [HEADER_GROUP]: letter.originalGroup } : {};
	if (letter.headers !== null) {
		return {
			channel: letter.originalChannel,
			payload: bytes.value,
			opts: { raw: true, key: bytes.key ?? undefined, headers: { ...letter.headers, ...addressed } },
		};
	}
	return {
		channel: letter.originalChannel,
		payload: letter.payload,
		opts: {
			key: (letter.payload as { key?: string } | null)?.key,
			headers: { ...(letter.eventId ? { eventId: letter.eventId } : {}), ...addressed },
		},
	};
}
