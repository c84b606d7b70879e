/**
 * Stream entries as our Redis Streams adapter reads them, and the dead letter it writes for one its
 * consumer could not handle. An entry is the library's: a `payload` field (the message's bytes) and an
 * optional `headers` field (the headers as JSON). Nothing here deserializes the payload: that is the
 * handler's business (or not, for `rawPayload` channels).
 */
import {
	errorHeaders,
	HEADER_GROUP,
	HEADER_ORIGINAL_CHANNEL,
	HEADER_ORIGINAL_GROUP,
	HEADER_ORIGINAL_ID,
	HEADER_ORIGINAL_OFFSET,
} from "./dead-letter-headers";

export type EntryHeaders = Record<string, unknown>;

/** One entry of a stream, as read (XREADGROUP) or claimed (XAUTOCLAIM). */
export interface StreamEntry {
	id: string;
	/** The message's bytes; empty when the entry has no `payload` field. */
	payload: Buffer;
	/** The `headers` field, parsed. */
	headers: EntryHeaders | undefined;
	/** Why the `headers` field could not be parsed (a foreign producer's): the message fails with it. */
	headersError?: unknown;
}

type RawEntry = [Buffer, Buffer[]] | null;

/**
 * The entries of an XREADGROUP reply (`[[stream, entries]]`) or of an XAUTOCLAIM reply as the library hands
 * it over (`[[cursor, entries, deleted]]`). Entries deleted from the stream while pending come back empty.
 */
export function entriesOf(reply: unknown, parseHeaders: (bytes: Buffer) => unknown): StreamEntry[] {
	const entries = ((reply as unknown[][] | null)?.[0]?.[1] ?? []) as RawEntry[];
	return entries.filter((entry) => entry?.[1]).map((entry) => entryOf(entry as [Buffer, Buffer[]], parseHeaders));
}

function entryOf([id, fields]: [Buffer, Buffer[]], parseHeaders: (bytes: Buffer) => unknown): StreamEntry {
	const field = (name: string) => {
		for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]?.toString() === name) return fields[i + 1];
		return undefined;
	};
	const entry: StreamEntry = { id: id.toString(), payload: field("payload") ?? Buffer.alloc(0), headers: undefined };
	const headers = field("headers");
	if (headers) {
		try {
			const parsed = parseHeaders(headers);
			if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
				throw new TypeError("the entry's headers field is not a JSON object");
			}
			entry.headers = parsed as EntryHeaders;
		} catch (error) {
			entry.headersError = error;
		}
	}
	return entry;
}

/** Where the message failed: one consumer group's delivery of one entry. */
export interface FailedStreamEntry {
	channel: string;
	group: string;
	id: string;
	headers: EntryHeaders | undefined;
}

/** The group the entry is addressed to (the `x-group` header of a requeue), if any. */
export function addressedGroup(entry: StreamEntry): string | undefined {
	const group = entry.headers?.[HEADER_GROUP];
	return typeof group === "string" && group !== "" ? group : undefined;
}

/**
 * The dead letter's headers: the message's own, where it failed (channel, group, entry id) and why. The
 * requeue's group address is left out: it would hide the dead letter from the store's group.
 */
export function deadLetterHeaders(failed: FailedStreamEntry, error: unknown): EntryHeaders {
	const { [HEADER_GROUP]: _addressedTo, ...own } = failed.headers ?? {};
	return {
		...own,
		[HEADER_ORIGINAL_OFFSET]: failed.id,
		[HEADER_ORIGINAL_ID]: failed.id,
		[HEADER_ORIGINAL_CHANNEL]: failed.channel,
		[HEADER_ORIGINAL_GROUP]: failed.group,
		...(error !== undefined && errorHeaders(error)),
	};
}
