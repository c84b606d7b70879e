import { ConnectionError, QueryTypes, type Sequelize, TimeoutError } from "sequelize";

/** A message a consumer gave up on, as operators see it (`events.deadLetters`). */
export interface DeadLetter {
	id: number;
	eventId: string | null;
	/** The topic (namespace-prefixed) the message was consumed from. */
	originalChannel: string;
	/** The consumer group that failed it. */
	originalGroup: string | null;
	/** Where the group first got it (Kafka); null on other brokers. */
	originalPartition: number | null;
	/** Kafka: the offset in that partition; JetStream: the stream sequence; Redis Streams: the entry id. */
	originalOffset: string | null;
	/** The message's key as UTF-8 text; null when it had none. */
	messageKey: string | null;
	/** The message's own headers (not the brokers' retry and dead-letter bookkeeping). */
	headers: Record<string, string> | null;
	/** The last error of its handler (or its deserializer). */
	error: string | null;
	/** The bytes parsed as JSON; null when they are not JSON. */
	payload: unknown;
	/** The bytes exactly as they were consumed, base64. */
	rawPayloadBase64: string | null;
	receivedAt: string;
	requeuedAt: string | null;
}

/** The message bytes of a dead letter, for a requeue; null where the row predates them (or had none). */
export interface DeadLetterBytes {
	key: Buffer | null;
	value: Buffer | null;
}

export type NewDeadLetter = Omit<DeadLetter, "id" | "receivedAt" | "requeuedAt" | "messageKey" | "rawPayloadBase64"> &
	DeadLetterBytes;

interface Row {
	id: number | string;
	event_id: string | null;
	original_channel: string;
	original_group: string | null;
	original_partition: number | string | null;
	original_offset: string | null;
	message_key: Buffer | null;
	headers: string | null;
	error: string | null;
	payload: string;
	raw_payload: Buffer | null;
	received_at: number | string;
	requeued_at: number | string | null;
}

function toDeadLetter(r: Row): DeadLetter {
	return {
		id: Number(r.id),
		eventId: r.event_id,
		originalChannel: r.original_channel,
		originalGroup: r.original_group,
		originalPartition: r.original_partition == null ? null : Number(r.original_partition),
		originalOffset: r.original_offset,
		messageKey: r.message_key == null ? null : Buffer.from(r.message_key).toString("utf8"),
		headers: r.headers == null ? null : JSON.parse(r.headers),
		error: r.error,
		payload: JSON.parse(r.payload),
		rawPayloadBase64: r.raw_payload == null ? null : Buffer.from(r.raw_payload).toString("base64"),
		receivedAt: new Date(Number(r.received_at)).toISOString(),
		requeuedAt: r.requeued_at == null ? null : new Date(Number(r.requeued_at)).toISOString(),
	};
}

/** Cut to the column's size: a dead letter is kept even when a foreign producer's names are too long. */
function clip(text: string | null, max: number): string | null {
	return text == null ? null : text.slice(0, max);
}

/** The database is away (or busy) rather than refusing this row: storing it again later can succeed. */
export function isStoreUnavailable(err: unknown): boolean {
	return err instanceof ConnectionError || err instanceof TimeoutError;
}

export class DeadLetterRepository {
	constructor(private readonly db: Sequelize) {}

	async add(letter: NewDeadLetter, now: number): Promise<void> {
		await this.db.query(
			`INSERT INTO dead_letters (event_id, original_channel, original_group, original_partition, original_offset,
				message_key, headers, error, payload, raw_payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			{
				replacements: [
					letter.eventId != null && letter.eventId.length <= 64 ? letter.eventId : null,
					clip(letter.originalChannel, 191),
					clip(letter.originalGroup, 191),
					letter.originalPartition,
					clip(letter.originalOffset, 20),
					letter.key,
					letter.headers == null ? null : JSON.stringify(letter.headers),
					clip(letter.error, 1000),
					JSON.stringify(letter.payload ?? null),
					letter.value,
					now,
				],
			},
		);
	}

	/** Newest first; `open` = not requeued yet. */
	async list(open: boolean, limit: number): Promise<DeadLetter[]> {
		const rows = await this.db.query<Row>(
			`SELECT * FROM dead_letters ${open ? "WHERE requeued_at IS NULL" : ""} ORDER BY id DESC LIMIT ?`,
			{ replacements: [limit], type: QueryTypes.SELECT },
		);
		return rows.map(toDeadLetter);
	}

	async find(id: number): Promise<{ letter: DeadLetter; bytes: DeadLetterBytes } | null> {
		const rows = await this.db.query<Row>("SELECT * FROM dead_letters WHERE id = ?", {
			replacements: [id],
			type: QueryTypes.SELECT,
		});
		const row = rows[0];
		if (!row) return null;
		const bytes = {
			key: row.message_key == null ? null : Buffer.from(row.message_key),
			value: row.raw_payload == null ? null : Buffer.from(row.raw_payload),
		};
		return { letter: toDeadLetter(row), bytes };
	}

	async markRequeued(id: number, now: number): Promise<void> {
		await this.db.query("UPDATE dead_letters SET requeued_at = ? WHERE id = ?", { replacements: [now, id] });
	}
}
