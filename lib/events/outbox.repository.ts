import { randomUUID } from "node:crypto";
import { QueryTypes, type Sequelize, Transaction } from "sequelize";
import { isMariaDbServer } from "../db/mysql-server";
import { affectedRows } from "../db/query-results";
import type { EventEnvelope } from "./event-envelope";

export interface OutboxRow {
	eventId: string;
	envelope: EventEnvelope;
	attempts: number;
	createdAt: number;
}

export interface OutboxStatus {
	pending: number;
	failed: number;
	published: number;
	/** Age of the oldest PENDING event, ms (0 when none). */
	oldestPendingAgeMs: number;
}

/** What an insert did with each event. */
export interface InsertedEvents {
	/** Leased to the inserting relay: it publishes them right after the commit, no claim needed. */
	leased: OutboxRow[];
	/** Ids of events queued behind an earlier PENDING event of their key: a claim sends them in order. */
	queued: string[];
}

export interface Lease {
	token: string;
	until: number;
}

interface RawRow {
	event_id: string;
	envelope: string;
	attempts: number | string;
	created_at: number | string;
}

/** The outbox table's SQL. Claims are leases, so several relays never send the same row at once. */
export class OutboxRepository {
	private readonly mysql: boolean;

	constructor(private readonly db: Sequelize) {
		this.mysql = db.getDialect() === "mysql";
	}

	/**
	 * Inserts events inside the caller's business transaction. Events whose key has no earlier PENDING
	 * event are inserted already leased to the caller's relay (`lease`), so it can publish them right after
	 * the commit without a claim round; the others wait in line for a claim (per-key order).
	 */
	async insert(
		transaction: Transaction,
		events: readonly EventEnvelope[],
		now: number,
		lease: Lease,
	): Promise<InsertedEvents> {
		if (events.length === 0) return { leased: [], queued: [] };
		const keys = [...new Set(events.map((e) => e.key))];
		const waiting = await this.db.query<{ event_key: string }>(
			"SELECT DISTINCT event_key FROM outbox_events WHERE event_key IN (?) AND status = 'PENDING'",
			{ replacements: [keys], type: QueryTypes.SELECT, transaction },
		);
		const blocked = new Set(waiting.map((r) => r.event_key));
		const values = events.map(() => "(?, ?, ?, ?, 'PENDING', 0, ?, ?, ?, ?)").join(", ");
		await this.db.query(
			`INSERT INTO outbox_events (event_id, topic, event_key, envelope, status, attempts, next_attempt_at, locked_until, locked_by, created_at) VALUES ${values}`,
			{
				replacements: events.flatMap((e) => {
					const leased = !blocked.has(e.key);
					return [
						e.eventId,
						e.type,
						e.key,
						JSON.stringify(e),
						now,
						leased ? lease.until : 0,
						leased ? lease.token : null,
						now,
					];
				}),
				transaction,
			},
		);
		const inserted: InsertedEvents = { leased: [], queued: [] };
		for (const envelope of events) {
			if (blocked.has(envelope.key)) inserted.queued.push(envelope.eventId);
			else inserted.leased.push({ eventId: envelope.eventId, envelope, attempts: 0, createdAt: now });
		}
		return inserted;
	}

	/**
	 * Leases up to `limit` due PENDING rows (only `eventIds`, when given) to this relay until
	 * `now + leaseMs`. On MariaDB rows locked by another relay's claim are skipped (SKIP LOCKED); on
	 * SQLite (one process) a single UPDATE claims atomically.
	 */
	async claim(now: number, leaseMs: number, limit: number, eventIds?: readonly string[]): Promise<OutboxRow[]> {
		if (eventIds && eventIds.length === 0) return [];
		const token = randomUUID();
		const only = eventIds ? " AND event_id IN (?)" : "";
		// Per-key commit order across concurrent runs and relays: a row is due only when no earlier row
		// of its key is still PENDING (unsent, leased to another run, or waiting for its retry).
		const headOfKey =
			" AND NOT EXISTS (SELECT 1 FROM outbox_events earlier WHERE earlier.event_key = outbox_events.event_key AND earlier.status = 'PENDING' AND earlier.id < outbox_events.id)";
		const due = `status = 'PENDING' AND next_attempt_at <= ? AND locked_until <= ?${only}${headOfKey}`;
		const dueArgs: unknown[] = eventIds ? [now, now, eventIds] : [now, now];

		if (this.mysql) {
			// READ COMMITTED: the locking read then takes no gap locks, which would block (and deadlock
			// with) business transactions inserting new outbox rows while a relay claims.
			await this.db.transaction(
				{ isolationLevel: Transaction.ISOLATION_LEVELS.READ_COMMITTED },
				async (transaction) => {
					const rows = await this.db.query<{ id: number }>(
						`SELECT id FROM outbox_events WHERE ${due} ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`,
						{ replacements: [...dueArgs, limit], type: QueryTypes.SELECT, transaction },
					);
					if (rows.length === 0) return;
					await this.db.query("UPDATE outbox_events SET locked_until = ?, locked_by = ? WHERE id IN (?)", {
						replacements: [now + leaseMs, token, rows.map((r) => r.id)],
						transaction,
					});
				},
			);
		} else {
			await this.db.query(
				`UPDATE outbox_events SET locked_until = ?, locked_by = ? WHERE id IN (SELECT id FROM outbox_events WHERE ${due} ORDER BY id LIMIT ?)`,
				{ replacements: [now + leaseMs, token, ...dueArgs, limit] },
			);
		}
		const claimed = await this.db.query<RawRow>(
			"SELECT event_id, envelope, attempts, created_at FROM outbox_events WHERE locked_by = ? ORDER BY id",
			{ replacements: [token], type: QueryTypes.SELECT },
		);
		return claimed.map((r) => ({
			eventId: r.event_id,
			envelope: JSON.parse(r.envelope) as EventEnvelope,
			attempts: Number(r.attempts),
			createdAt: Number(r.created_at),
		}));
	}

	/**
	 * Marks rows published, in READ COMMITTED on MariaDB/MySQL: under REPEATABLE READ an UPDATE over a list
	 * of ids takes next-key locks, whose gaps hold back (and can deadlock with) business transactions
	 * inserting new outbox rows, and a mark that fails leaves published rows to be sent again when their
	 * lease ends. On MariaDB one anonymous compound statement (one round trip); on MySQL a transaction.
	 */
	async markPublished(eventIds: readonly string[], now: number): Promise<void> {
		if (eventIds.length === 0) return;
		const update =
			"UPDATE outbox_events SET status = 'PUBLISHED', published_at = ?, locked_until = 0, attempts = attempts + 1 WHERE event_id IN (?)";
		const replacements = [now, eventIds];
		if (!this.mysql) {
			await this.db.query(update, { replacements });
		} else if (await isMariaDbServer(this.db)) {
			await this.db.query(
				`BEGIN NOT ATOMIC SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION; ${update}; COMMIT; END`,
				{ replacements },
			);
		} else {
			await this.db.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.READ_COMMITTED }, (transaction) =>
				this.db.query(update, { replacements, transaction }),
			);
		}
	}

	/** Records a failed attempt: back to PENDING at `nextAttemptAt`, or FAILED for good. */
	async markAttemptFailed(eventId: string, attempts: number, nextAttemptAt: number, error: string, failed: boolean) {
		await this.db.query(
			"UPDATE outbox_events SET status = ?, attempts = ?, next_attempt_at = ?, locked_until = 0, last_error = ? WHERE event_id = ?",
			{ replacements: [failed ? "FAILED" : "PENDING", attempts, nextAttemptAt, error.slice(0, 1000), eventId] },
		);
	}

	/** Pending and failed counts and the oldest pending age; reads only those rows (index on status). */
	async backlog(now: number): Promise<Omit<OutboxStatus, "published">> {
		const rows = await this.db.query<{ status: string; n: number | string; oldest: number | string | null }>(
			"SELECT status, COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox_events WHERE status IN ('PENDING', 'FAILED') GROUP BY status",
			{ type: QueryTypes.SELECT },
		);
		const of = (status: string) => rows.find((r) => r.status === status);
		const oldest = of("PENDING")?.oldest;
		return {
			pending: Number(of("PENDING")?.n ?? 0),
			failed: Number(of("FAILED")?.n ?? 0),
			oldestPendingAgeMs: oldest == null ? 0 : Math.max(0, now - Number(oldest)),
		};
	}

	/** The backlog plus how many published rows are kept (until retention cleanup). */
	async status(now: number): Promise<OutboxStatus> {
		const [backlog, published] = await Promise.all([
			this.backlog(now),
			this.db.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM outbox_events WHERE status = 'PUBLISHED'", {
				type: QueryTypes.SELECT,
			}),
		]);
		return { ...backlog, published: Number(published[0]?.n ?? 0) };
	}

	/** Puts FAILED rows back in line (after the cause is fixed); returns how many. */
	async replayFailed(now: number): Promise<number> {
		return affectedRows(
			await this.db.query(
				"UPDATE outbox_events SET status = 'PENDING', attempts = 0, next_attempt_at = ?, locked_until = 0 WHERE status = 'FAILED'",
				{ replacements: [now], type: QueryTypes.UPDATE },
			),
		);
	}

	/** Deletes PUBLISHED rows older than `before`; returns how many. */
	async deletePublishedBefore(before: number): Promise<number> {
		return affectedRows(
			await this.db.query("DELETE FROM outbox_events WHERE status = 'PUBLISHED' AND published_at < ?", {
				replacements: [before],
				type: QueryTypes.DELETE,
			}),
		);
	}
}
