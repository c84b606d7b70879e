/**
 * A producer's outbox table read and written straight through MariaDB, for tests that need rows in a
 * state the relay only reaches after many failed publishes (FAILED), or that check what the
 * service reports against what the table holds.
 */
import type mysql from "mysql2/promise";
import type { EventEnvelope } from "../../../lib/events/event-envelope";
import { testServerPool } from "../test-database";

export type OutboxRowStatus = "PENDING" | "PUBLISHED" | "FAILED";

export interface SeededRow {
	envelope: EventEnvelope;
	status: "PENDING" | "FAILED";
	attempts: number;
	/** When the relay may next try it, ms since the epoch. */
	nextAttemptAt: number;
	createdAt: number;
}

export interface OutboxCounts {
	pending: number;
	failed: number;
	published: number;
	/** created_at of the oldest PENDING row, or null. */
	oldestPendingCreatedAt: number | null;
}

export class OutboxTable {
	private constructor(
		private readonly pool: mysql.Pool,
		private readonly table: string,
	) {}

	/** The outbox of `service` in the databases named by `dbNamePrefix`. */
	static open(dbNamePrefix: string, service: string): OutboxTable {
		const pool = testServerPool();
		return new OutboxTable(pool, `\`${dbNamePrefix}${service}\`.outbox_events`);
	}

	/** Inserts rows as the relay leaves them (a FAILED row has used up its attempts). */
	async insert(rows: readonly SeededRow[]): Promise<void> {
		for (const row of rows) {
			await this.pool.query(
				`INSERT INTO ${this.table} (event_id, topic, event_key, envelope, status, attempts, next_attempt_at, locked_until, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
				[
					row.envelope.eventId,
					row.envelope.type,
					row.envelope.key,
					JSON.stringify(row.envelope),
					row.status,
					row.attempts,
					row.nextAttemptAt,
					row.status === "FAILED" ? "broker unreachable (seeded by the test)" : null,
					row.createdAt,
				],
			);
		}
	}

	async counts(): Promise<OutboxCounts> {
		const [rows] = await this.pool.query(
			`SELECT status, COUNT(*) AS n, MIN(created_at) AS oldest FROM ${this.table} GROUP BY status`,
		);
		const byStatus = rows as Array<{ status: OutboxRowStatus; n: number | string; oldest: number | string }>;
		const of = (status: OutboxRowStatus) => byStatus.find((r) => r.status === status);
		const oldest = of("PENDING")?.oldest;
		return {
			pending: Number(of("PENDING")?.n ?? 0),
			failed: Number(of("FAILED")?.n ?? 0),
			published: Number(of("PUBLISHED")?.n ?? 0),
			oldestPendingCreatedAt: oldest == null ? null : Number(oldest),
		};
	}

	/** Status of each of `eventIds` (absent ids are missing from the result). */
	async statusOf(eventIds: readonly string[]): Promise<Record<string, OutboxRowStatus>> {
		const [rows] = await this.pool.query(`SELECT event_id, status FROM ${this.table} WHERE event_id IN (?)`, [
			eventIds,
		]);
		return Object.fromEntries(
			(rows as Array<{ event_id: string; status: OutboxRowStatus }>).map((r) => [r.event_id, r.status]),
		);
	}

	async close(): Promise<void> {
		await this.pool.end();
	}
}
