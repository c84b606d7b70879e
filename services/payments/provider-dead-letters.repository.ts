import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import { affectedRows } from "../../lib/db/query-results";
import type { ProviderOperation } from "./payment-provider";

export type DeadLetterStatus = "OPEN" | "REQUEUED" | "RESOLVED";

export interface ProviderDeadLetter {
	id: number;
	paymentId: string;
	operation: ProviderOperation;
	attempts: number;
	lastError: string | null;
	status: DeadLetterStatus;
	createdAt: number;
	requeuedAt: number | null;
}

interface DeadLetterRow {
	id: number | string;
	payment_id: string;
	operation: ProviderOperation;
	attempts: number | string;
	last_error: string | null;
	status: DeadLetterStatus;
	created_at: number | string;
	requeued_at: number | string | null;
}

const COLUMNS = "id, payment_id, operation, attempts, last_error, status, created_at, requeued_at";
const MAX_ERROR_LENGTH = 1000;

function toDeadLetter(row: DeadLetterRow): ProviderDeadLetter {
	return {
		id: Number(row.id),
		paymentId: row.payment_id,
		operation: row.operation,
		attempts: Number(row.attempts),
		lastError: row.last_error,
		status: row.status,
		createdAt: Number(row.created_at),
		requeuedAt: row.requeued_at === null ? null : Number(row.requeued_at),
	};
}

/** The `provider_dead_letters` table. */
export class ProviderDeadLettersRepository {
	constructor(private readonly db: Sequelize) {}

	/** Written in the transaction of the state change that gave up on the call. */
	async insert(
		transaction: Transaction,
		entry: { paymentId: string; operation: ProviderOperation; attempts: number; lastError: string },
		now: number,
	): Promise<void> {
		await this.db.query(
			"INSERT INTO provider_dead_letters (payment_id, operation, attempts, last_error, status, created_at, requeued_at) VALUES (?, ?, ?, ?, 'OPEN', ?, NULL)",
			{
				replacements: [
					entry.paymentId,
					entry.operation,
					entry.attempts,
					entry.lastError.slice(0, MAX_ERROR_LENGTH),
					now,
				],
				transaction,
			},
		);
	}

	async find(id: number): Promise<ProviderDeadLetter | null> {
		const rows = await this.db.query<DeadLetterRow>(`SELECT ${COLUMNS} FROM provider_dead_letters WHERE id = ?`, {
			replacements: [id],
			type: QueryTypes.SELECT,
		});
		return rows[0] ? toDeadLetter(rows[0]) : null;
	}

	/** Newest first; only those in `status` when given. */
	async list(filter: { status?: DeadLetterStatus; paymentId?: string }, limit: number): Promise<ProviderDeadLetter[]> {
		const where: string[] = [];
		const replacements: unknown[] = [];
		if (filter.status) {
			where.push("status = ?");
			replacements.push(filter.status);
		}
		if (filter.paymentId) {
			where.push("payment_id = ?");
			replacements.push(filter.paymentId);
		}
		const rows = await this.db.query<DeadLetterRow>(
			`SELECT ${COLUMNS} FROM provider_dead_letters${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`,
			{ replacements: [...replacements, limit], type: QueryTypes.SELECT },
		);
		return rows.map(toDeadLetter);
	}

	/**
	 * Takes an OPEN dead letter for a replay (`REQUEUED`), so two operators cannot replay it at once.
	 * One left `REQUEUED` since before `staleBefore` (its replay's node died) can be taken again.
	 */
	async claim(id: number, now: number, staleBefore: number): Promise<boolean> {
		const result = await this.db.query(
			`UPDATE provider_dead_letters SET status = 'REQUEUED', requeued_at = ?
			 WHERE id = ? AND (status = 'OPEN' OR (status = 'REQUEUED' AND requeued_at < ?))`,
			{ replacements: [now, id, staleBefore], type: QueryTypes.UPDATE },
		);
		return affectedRows(result) === 1;
	}

	/** The replay worked (or found nothing left to do). */
	async resolve(transaction: Transaction, id: number, attempts: number): Promise<void> {
		await this.db.query("UPDATE provider_dead_letters SET status = 'RESOLVED', attempts = ? WHERE id = ?", {
			replacements: [attempts, id],
			type: QueryTypes.UPDATE,
			transaction,
		});
	}

	/** The replay failed: OPEN again, for the next try. */
	async reopen(id: number, attempts: number, lastError: string): Promise<void> {
		await this.db.query(
			"UPDATE provider_dead_letters SET status = 'OPEN', attempts = ?, last_error = ? WHERE id = ? AND status = 'REQUEUED'",
			{ replacements: [attempts, lastError.slice(0, MAX_ERROR_LENGTH), id], type: QueryTypes.UPDATE },
		);
	}
}
