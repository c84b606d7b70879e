import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import { isMariaDbServer } from "../../../lib/db/mysql-server";
import { affectedRows, isUniqueViolation } from "../../../lib/db/query-results";
import type { BatchDecision } from "../actor/batch-decider";
import {
	type Reservation,
	type ReservationStatus,
	reservationIdOf,
	reservationKeyOf,
	type Stock,
} from "../reservation";
import { type BatchStatement, batchStatements, RESERVATION_COLUMNS } from "./batch-statements";
import { DuplicateReservationError, FenceLostError } from "./commit-errors";
import { MariaDbBatchCommit } from "./mariadb-batch-commit";

/**
 * Where a batch's transaction spent its time: `writeMs` from asking for a connection to the new rows
 * written, `waitMs` waiting for the batch it was decided on top of to commit, `commitMs` the fenced
 * statements and the COMMIT.
 */
export interface CommitTimings {
	writeMs: number;
	waitMs: number;
	commitMs: number;
}

interface ReservationRow {
	order_id: string;
	sku: string;
	quantity: number | string;
	status: ReservationStatus;
	expires_at: number | string;
}

function toReservation(row: ReservationRow): Reservation {
	return {
		reservationId: reservationIdOf(row.order_id, row.sku),
		orderId: row.order_id,
		sku: row.sku,
		quantity: Number(row.quantity),
		status: row.status,
		expiresAt: Number(row.expires_at),
	};
}

/** All SQL of the inventory. Every write happens in `commit`, in one transaction, behind the fence. */
export class InventoryRepository {
	private constructor(
		private readonly db: Sequelize,
		/** Set on MariaDB (unless turned off): commits go through compound statements. */
		private readonly compound: MariaDbBatchCommit | null,
	) {}

	/** `compoundCommit` is used only where the server is MariaDB (MySQL has no anonymous compound statements). */
	static async open(db: Sequelize, options: { compoundCommit: boolean }): Promise<InventoryRepository> {
		const compound = options.compoundCommit && (await isMariaDbServer(db)) ? new MariaDbBatchCommit(db) : null;
		return new InventoryRepository(db, compound);
	}

	/** Which way batches commit, for the start-up log line. */
	get commitMode(): string {
		return this.compound ? "MariaDB compound statements, 2 round trips" : "plain statements";
	}

	async findStock(sku: string): Promise<Stock | null> {
		const rows = await this.db.query<Stock>(
			"SELECT sku, available, reserved, confirmed, version FROM stock WHERE sku = ?",
			{ replacements: [sku], type: QueryTypes.SELECT },
		);
		const row = rows[0];
		return row
			? {
					sku: row.sku,
					available: Number(row.available),
					reserved: Number(row.reserved),
					confirmed: Number(row.confirmed),
					version: Number(row.version),
				}
			: null;
	}

	async countSkus(): Promise<number> {
		const rows = await this.db.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM stock", {
			type: QueryTypes.SELECT,
		});
		return Number(rows[0]?.n ?? 0);
	}

	/** Up to `limit` reservations of a SKU; `complete` says whether that was all of them. */
	async findReservationsOfSku(sku: string, limit: number): Promise<{ reservations: Reservation[]; complete: boolean }> {
		const rows = await this.db.query<ReservationRow>(
			`SELECT ${RESERVATION_COLUMNS} FROM reservations WHERE sku = ? LIMIT ?`,
			{ replacements: [sku, limit + 1], type: QueryTypes.SELECT },
		);
		return { reservations: rows.slice(0, limit).map(toReservation), complete: rows.length <= limit };
	}

	/** Every reservation id of a SKU, `pageSize` at a time in primary-key order (for ReservedOrdersIndex). */
	async *reservationIdPagesOfSku(sku: string, pageSize: number): AsyncGenerator<string[]> {
		let after = "";
		for (;;) {
			const rows = await this.db.query<{ order_id: string }>(
				"SELECT order_id FROM reservations WHERE sku = ? AND order_id > ? ORDER BY order_id LIMIT ?",
				{ replacements: [sku, after, pageSize], type: QueryTypes.SELECT },
			);
			if (rows.length === 0) return;
			yield rows.map((r) => reservationIdOf(r.order_id, sku));
			if (rows.length < pageSize) return;
			after = (rows[rows.length - 1] as { order_id: string }).order_id;
		}
	}

	/** The stored reservations among `ids` (`orderId:sku`); one primary-key range per SKU. */
	async findReservations(ids: readonly string[]): Promise<Reservation[]> {
		if (ids.length === 0) return [];
		const ordersBySku = new Map<string, string[]>();
		for (const id of ids) {
			const { orderId, sku } = reservationKeyOf(id);
			const orders = ordersBySku.get(sku);
			if (orders) orders.push(orderId);
			else ordersBySku.set(sku, [orderId]);
		}
		const rows = await this.db.query<ReservationRow>(
			`SELECT ${RESERVATION_COLUMNS} FROM reservations WHERE ${[...ordersBySku.keys()].map(() => "(sku = ? AND order_id IN (?))").join(" OR ")}`,
			{ replacements: [...ordersBySku].flat(), type: QueryTypes.SELECT },
		);
		return rows.map(toReservation);
	}

	/** RESERVED reservations past their expiry, oldest first. */
	async findExpired(now: number, limit: number): Promise<Array<{ reservationId: string; sku: string }>> {
		const rows = await this.db.query<{ order_id: string; sku: string }>(
			"SELECT order_id, sku FROM reservations WHERE status = 'RESERVED' AND expires_at <= ? ORDER BY expires_at LIMIT ?",
			{ replacements: [now, limit], type: QueryTypes.SELECT },
		);
		return rows.map((r) => ({ reservationId: reservationIdOf(r.order_id, r.sku), sku: r.sku }));
	}

	/**
	 * Writes a batch's decision in ONE transaction: the new reservation rows, then (once
	 * `afterPrevious` resolved; the pipelining contract is in actor/sku-actor.ts, PIPELINE_DEPTH) the
	 * status changes and the stock row behind the version fence. Throws FenceLostError or
	 * DuplicateReservationError (commit-errors.ts) with nothing written; whatever `afterPrevious` throws
	 * also rolls back. On MariaDB the same transaction takes two round trips (MariaDbBatchCommit).
	 * Returns where the time went.
	 */
	async commit(
		previousVersion: number,
		decision: BatchDecision,
		now: number,
		afterPrevious: () => Promise<void> = async () => undefined,
	): Promise<CommitTimings> {
		const statements = batchStatements(previousVersion, decision, now);
		const started = performance.now();
		let written = started;
		let released = started;
		// Both commit paths call this between the new rows and the fenced writes: that is where the phases meet.
		const waitForPrevious = async () => {
			written = performance.now();
			await afterPrevious();
			released = performance.now();
		};
		// Writes exist only once the SKU's stock row does.
		const sku = decision.stock?.sku ?? "?";
		if (!statements.insert && statements.fenced.length === 0) {
			await waitForPrevious();
		} else if (this.compound) {
			await this.compound.commit(sku, statements, waitForPrevious);
		} else {
			const duplicate = () => new DuplicateReservationError(sku);
			const lostFence = () => new FenceLostError(sku);
			await this.db.transaction(async (transaction) => {
				if (statements.insert) await this.run(statements.insert, transaction, duplicate);
				await waitForPrevious();
				// A duplicate here is the stock row's INSERT: another writer created the SKU first.
				for (const statement of statements.fenced) await this.run(statement, transaction, lostFence);
			});
		}
		return { writeMs: written - started, waitMs: released - written, commitMs: performance.now() - released };
	}

	/** `conflict`: what a duplicate key or an unexpected row count means for this statement. */
	private async run({ sql, values, expectedRows }: BatchStatement, transaction: Transaction, conflict: () => Error) {
		let result: unknown;
		try {
			result = await this.db.query(sql, {
				replacements: values,
				transaction,
				...(expectedRows === undefined ? {} : { type: QueryTypes.UPDATE }),
			});
		} catch (err) {
			if (isUniqueViolation(err)) throw conflict();
			throw err;
		}
		if (expectedRows !== undefined && affectedRows(result) !== expectedRows) throw conflict();
	}
}
