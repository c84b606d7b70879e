import type { Sequelize } from "sequelize";
import { QueryTypes } from "sequelize";
import { affectedRows, isUniqueViolation } from "../db/query-results";
import type { OpeningStatement } from "../db/transaction-opened-by";

const RECORD_SQL = "INSERT INTO consumed_events (event_id, consumer, consumed_at) VALUES (?, ?, ?)";

/** The consumed-events table: insert-or-fail, never check-then-insert. */
export class DedupRepository {
	constructor(private readonly db: Sequelize) {}

	/** The INSERT that records (eventId, consumer), as a transaction's opening statement (a duplicate: recorded before). */
	recording(eventId: string, consumer: string, now: number): OpeningStatement {
		return {
			sql: RECORD_SQL,
			replacements: [eventId, consumer, now],
			expected: isUniqueViolation,
		};
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
