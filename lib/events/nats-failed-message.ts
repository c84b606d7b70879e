/**
 * What our JetStream adapter reads from, and writes for, a message its consumer could not handle: the group
 * a message is addressed to (a requeue), and the headers of its dead letter. JetStream retries a message by
 * delivering the message itself again (a NAK), so its stream sequence names it through every attempt.
 */
import { type JsMsg, type MsgHdrs, headers as natsHeaders } from "nats";
import {
	errorHeaders,
	HEADER_GROUP,
	HEADER_ORIGINAL_CHANNEL,
	HEADER_ORIGINAL_GROUP,
	HEADER_ORIGINAL_OFFSET,
	HEADER_ORIGINAL_STREAM,
} from "./dead-letter-headers";

/** Where the message failed: one consumer group's delivery of it. */
export interface FailedJetStreamDelivery {
	channel: string;
	group: string;
	message: JsMsg;
}

/** The group the message is addressed to (the `x-group` header of a requeue), if any. */
export function addressedGroup(message: JsMsg): string | undefined {
	// `get` answers "" for a header the message does not have.
	return message.headers?.get(HEADER_GROUP) || undefined;
}

/**
 * NATS header values are single lines of text: a line break (of a stack, say) travels as the two characters
 * `\n`, another control character (a deserializer quoting the bytes it choked on) as a `\u` escape.
 */
function singleLine(text: string): string {
	return text
		.replace(/\r\n|\r|\n/g, "\\n")
		.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * The dead letter's headers: the message's own (every value of a repeated name), where it failed and why.
 * The requeue's group address is left out: it would hide the dead letter from the store's group.
 */
export function deadLetterHeaders(failed: FailedJetStreamDelivery, error: unknown): MsgHdrs {
	const { message } = failed;
	const out = natsHeaders();
	for (const name of message.headers?.keys() ?? []) {
		if (name === HEADER_GROUP) continue;
		for (const value of message.headers?.values(name) ?? []) out.append(name, value);
	}
	const bookkeeping: Record<string, string> = {
		[HEADER_ORIGINAL_STREAM]: message.info.stream,
		[HEADER_ORIGINAL_OFFSET]: String(message.seq),
		[HEADER_ORIGINAL_CHANNEL]: failed.channel,
		[HEADER_ORIGINAL_GROUP]: failed.group,
		...(error !== undefined && errorHeaders(error)),
	};
	for (const [name, value] of Object.entries(bookkeeping)) out.set(name, singleLine(value));
	return out;
}
