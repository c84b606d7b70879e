/**
 * The Kafka messages our adapter sends for a message its consumer could not handle: the copy that retries
 * it (the library's redelivery: the same bytes and key again at the end of the topic, addressed to the
 * failing group) and its dead letter.
 */
import type * as Constants from "@moleculer/channels/types/src/constants";
import type { IHeaders, KafkaMessage, Message } from "kafkajs";
import {
	errorHeaders,
	HEADER_GROUP,
	HEADER_ORIGINAL_CHANNEL,
	HEADER_ORIGINAL_GROUP,
	HEADER_ORIGINAL_OFFSET,
	HEADER_ORIGINAL_PARTITION,
} from "./dead-letter-headers";

const C: typeof Constants = require("@moleculer/channels/src/constants");

/** Where the message failed: one consumer group's delivery at one partition and offset. */
export interface FailedDelivery {
	channel: string;
	group: string;
	partition: number;
	message: KafkaMessage;
}

/** A header's text; kafkajs hands header values as Buffers (arrays when the name repeats: the last wins). */
export function headerText(value: IHeaders[string]): string | undefined {
	const last = Array.isArray(value) ? value[value.length - 1] : value;
	return last === undefined ? undefined : last.toString();
}

/** Handler attempts so far, this one included. */
export function attemptsOf(message: KafkaMessage): number {
	return Number(headerText(message.headers?.[C.HEADER_REDELIVERED_COUNT]) ?? 0) + 1;
}

/**
 * Where the group first got the message. Retries are copies at later offsets, so the first position
 * travels with them: it is the one that names the message the producer sent.
 */
function firstDeliveryHeaders({ partition, message }: FailedDelivery): IHeaders {
	const headers = message.headers ?? {};
	return {
		[HEADER_ORIGINAL_PARTITION]: headerText(headers[HEADER_ORIGINAL_PARTITION]) ?? String(partition),
		[HEADER_ORIGINAL_OFFSET]: headerText(headers[HEADER_ORIGINAL_OFFSET]) ?? message.offset,
	};
}

/** The copy that retries a failed message, only for the group that failed it. */
export function retryMessage(failed: FailedDelivery, attempts: number): Message {
	const { message } = failed;
	return {
		key: message.key,
		value: message.value,
		headers: {
			...message.headers,
			...firstDeliveryHeaders(failed),
			[C.HEADER_REDELIVERED_COUNT]: String(attempts),
			[HEADER_GROUP]: failed.group,
		},
	};
}

/** The dead letter: the same bytes and key, the message's headers, where it failed and why. */
export function deadLetterMessage(failed: FailedDelivery, error: unknown): Message {
	const { message } = failed;
	// The retries' group address would hide the dead letter from the store's group.
	const { [HEADER_GROUP]: _addressedTo, ...own } = message.headers ?? {};
	return {
		key: message.key,
		value: message.value,
		headers: {
			...own,
			...firstDeliveryHeaders(failed),
			[HEADER_ORIGINAL_CHANNEL]: failed.channel,
			[HEADER_ORIGINAL_GROUP]: failed.group,
			...(error !== undefined && errorHeaders(error)),
		},
	};
}
