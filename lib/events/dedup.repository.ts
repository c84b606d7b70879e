import type { Sequelize, Transaction } from "sequelize";
import { QueryTypes } from "sequelize";
import { affectedRows, isUniqueViolation } from "../db/query-results";

/** The consumed-events table: insert-or-fail, never check-then-insert. */
export class DedupRepository {
	constructor(private readonly db: Sequelize) {}

	/** Records (eventId, consumer) in `transaction`; false when it was already recorded. */
	async record(transaction: Transaction, eventId: string, consumer: string, now: number): Promise<boolean> {
		try {
			await this.db.query("INSERT INTO consumed_events (event_id, consumer, consumed_at) VALUES (?, ?, ?)", {
				replacements: [eventId, consumer, now],
				transaction,
			});
			return true;
		} catch (err) {
			if (isUniqueViolation(err)) return false;
			throw err;
		}
	}

	async deleteBefore(before: number): Promise<number> {
		return affectedRows(
			await this.db.query("DELETE FROM consumed_events WHERE consumed_at < ?", {
				replacements: [before],
				type: QueryTypes.DELETE,
			}),
		);
	}
}
