import { QueryTypes, type Sequelize } from "sequelize";

export interface DeadLetter {
	id: number;
	eventId: string | null;
	originalChannel: string;
	originalGroup: string | null;
	error: string | null;
	payload: unknown;
	receivedAt: string;
	requeuedAt: string | null;
}

interface Row {
	id: number | string;
	event_id: string | null;
	original_channel: string;
	original_group: string | null;
	error: string | null;
	payload: string;
	received_at: number | string;
	requeued_at: number | string | null;
}

function toDeadLetter(r: Row): DeadLetter {
	return {
		id: Number(r.id),
		eventId: r.event_id,
		originalChannel: r.original_channel,
		originalGroup: r.original_group,
		error: r.error,
		payload: JSON.parse(r.payload),
		receivedAt: new Date(Number(r.received_at)).toISOString(),
		requeuedAt: r.requeued_at == null ? null : new Date(Number(r.requeued_at)).toISOString(),
	};
}

export class DeadLetterRepository {
	constructor(private readonly db: Sequelize) {}

	async add(letter: Omit<DeadLetter, "id" | "receivedAt" | "requeuedAt">, now: number): Promise<void> {
		await this.db.query(
			"INSERT INTO dead_letters (event_id, original_channel, original_group, error, payload, received_at) VALUES (?, ?, ?, ?, ?, ?)",
			{
				replacements: [
					letter.eventId,
					letter.originalChannel,
					letter.originalGroup,
					letter.error?.slice(0, 1000) ?? null,
					JSON.stringify(letter.payload),
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

	async find(id: number): Promise<DeadLetter | null> {
		const rows = await this.db.query<Row>("SELECT * FROM dead_letters WHERE id = ?", {
			replacements: [id],
			type: QueryTypes.SELECT,
		});
		return rows[0] ? toDeadLetter(rows[0]) : null;
	}

	async markRequeued(id: number, now: number): Promise<void> {
		await this.db.query("UPDATE dead_letters SET requeued_at = ? WHERE id = ?", { replacements: [now, id] });
	}
}
