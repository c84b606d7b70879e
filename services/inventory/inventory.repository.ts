import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import { affectedRows, isUniqueViolation } from "../../lib/db/query-results";
import type { BatchDecision } from "./batch-decider";
import { isFenceFailure, MariaDbBatchCommit } from "./mariadb-batch-commit";
import type { Reservation, ReservationStatus, Stock } from "./reservation";

/** Another writer changed the stock row since it was read: reload and decide again. */
export class FenceLostError extends Error {
	constructor(readonly sku: string) {
		super(`version fence lost on ${sku}`);
	}
}

interface ReservationRow {
	reservation_id: string;
	order_id: string;
	sku: string;
	quantity: number | string;
	status: ReservationStatus;
	expires_at: number | string;
}

const RESERVATION_COLUMNS = "reservation_id, order_id, sku, quantity, status, expires_at";

function toReservation(row: ReservationRow): Reservation {
	return {
		reservationId: row.reservation_id,
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
		let compound: MariaDbBatchCommit | null = null;
		if (options.compoundCommit && db.getDialect() === "mysql") {
			const [row] = await db.query<{ version: string }>("SELECT VERSION() AS version", { type: QueryTypes.SELECT });
			if (/mariadb/i.test(row?.version ?? "")) compound = new MariaDbBatchCommit(db);
		}
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

	async findReservations(ids: readonly string[]): Promise<Reservation[]> {
		if (ids.length === 0) return [];
		const rows = await this.db.query<ReservationRow>(
			`SELECT ${RESERVATION_COLUMNS} FROM reservations WHERE reservation_id IN (?)`,
			{ replacements: [ids], type: QueryTypes.SELECT },
		);
		return rows.map(toReservation);
	}

	/** RESERVED reservations past their expiry, oldest first. */
	async findExpired(now: number, limit: number): Promise<Array<{ reservationId: string; sku: string }>> {
		const rows = await this.db.query<{ reservation_id: string; sku: string }>(
			"SELECT reservation_id, sku FROM reservations WHERE status = 'RESERVED' AND expires_at <= ? ORDER BY expires_at LIMIT ?",
			{ replacements: [now, limit], type: QueryTypes.SELECT },
		);
		return rows.map((r) => ({ reservationId: r.reservation_id, sku: r.sku }));
	}

	/**
	 * Writes a batch's decision in ONE transaction: the new reservation rows, then (once
	 * `afterPrevious` resolved: the batch this one was decided on top of has committed) the status
	 * changes and the stock row behind the version fence. Throws FenceLostError (nothing written)
	 * when another writer got there first; whatever `afterPrevious` throws also rolls back. The new
	 * rows go first because they cannot collide with the previous batch's (it decided them), so
	 * they are written while it commits; status changes may touch rows it writes, so they wait.
	 * On MariaDB the same transaction takes two round trips (MariaDbBatchCommit).
	 */
	async commit(
		previousVersion: number,
		decision: BatchDecision,
		now: number,
		afterPrevious: () => Promise<void> = async () => undefined,
	): Promise<void> {
		const { write, stock } = decision;
		if (write.stock === "none" && write.inserted.length === 0 && write.updated.length === 0) {
			await afterPrevious();
			return;
		}
		if (this.compound) {
			try {
				await this.compound.commit(previousVersion, decision, now, afterPrevious);
			} catch (err) {
				if (isFenceFailure(err)) throw new FenceLostError(decision.stock?.sku ?? "?");
				throw err;
			}
			return;
		}
		await this.db.transaction(async (transaction) => {
			await this.insertReservations(write.inserted, now, transaction);
			await afterPrevious();
			await this.updateStatuses(write.updated, now, transaction);
			if (write.stock !== "none" && stock) await this.writeStock(stock, previousVersion, write.stock, now, transaction);
		});
	}

	private async writeStock(
		stock: Stock,
		previousVersion: number,
		mode: "insert" | "update",
		now: number,
		transaction: Transaction,
	): Promise<void> {
		if (mode === "insert") {
			try {
				await this.db.query(
					"INSERT INTO stock (sku, available, reserved, confirmed, version, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
					{
						replacements: [stock.sku, stock.available, stock.reserved, stock.confirmed, stock.version, now],
						transaction,
					},
				);
			} catch (err) {
				if (isUniqueViolation(err)) throw new FenceLostError(stock.sku);
				throw err;
			}
			return;
		}
		const affected = affectedRows(
			await this.db.query(
				"UPDATE stock SET available = ?, reserved = ?, confirmed = ?, version = ?, updated_at = ? WHERE sku = ? AND version = ?",
				{
					replacements: [
						stock.available,
						stock.reserved,
						stock.confirmed,
						stock.version,
						now,
						stock.sku,
						previousVersion,
					],
					type: QueryTypes.UPDATE,
					transaction,
				},
			),
		);
		if (affected !== 1) throw new FenceLostError(stock.sku);
	}

	private async insertReservations(rows: readonly Reservation[], now: number, transaction: Transaction) {
		if (rows.length === 0) return;
		const values = rows.map(() => "(?, ?, ?, ?, ?, ?, ?, ?)").join(", ");
		const replacements = rows.flatMap((r) => [
			r.reservationId,
			r.orderId,
			r.sku,
			r.quantity,
			r.status,
			r.expiresAt,
			now,
			now,
		]);
		try {
			await this.db.query(
				`INSERT INTO reservations (${RESERVATION_COLUMNS}, created_at, updated_at) VALUES ${values}`,
				{
					replacements,
					transaction,
				},
			);
		} catch (err) {
			// Another writer (a second actor for the SKU) created one of these reservations first.
			if (isUniqueViolation(err)) throw new FenceLostError(rows[0]?.sku ?? "?");
			throw err;
		}
	}

	/** One statement for the whole batch: `status = CASE reservation_id WHEN ... END`. */
	private async updateStatuses(rows: readonly Reservation[], now: number, transaction: Transaction) {
		if (rows.length === 0) return;
		const cases = rows.map(() => "WHEN ? THEN ?").join(" ");
		const ids = rows.map((r) => r.reservationId);
		const affected = affectedRows(
			await this.db.query(
				`UPDATE reservations SET status = CASE reservation_id ${cases} END, updated_at = ? WHERE reservation_id IN (?)`,
				{
					replacements: [...rows.flatMap((r) => [r.reservationId, r.status]), now, ids],
					type: QueryTypes.UPDATE,
					transaction,
				},
			),
		);
		// Every row was read (or written by an earlier batch) before this one decided: a missing one means
		// the state this batch was decided on is not what is stored.
		if (affected !== rows.length) throw new FenceLostError(rows[0]?.sku ?? "?");
	}
}
