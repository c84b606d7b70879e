import type mysql from "mysql2/promise";

/**
 * Reads the orders service's own database (the bench's connection, as the `shop` user): cheap
 * counts to wait on while a phase drains, without loading the gateway that is being measured, and
 * the counts the invariants are judged on, which include any order whose POST failed after it was
 * committed (the bench never learned its id).
 */
export class OrderStore {
	constructor(
		private readonly db: mysql.Connection,
		private readonly database: string,
	) {}

	/** Orders of shoppers whose id starts with `userPrefix`, by status and reason. */
	async countsByStatus(userPrefix: string): Promise<Array<{ status: string; reason: string | null; count: number }>> {
		const [rows] = await this.db.query<mysql.RowDataPacket[]>(
			`SELECT status, reason, COUNT(*) AS n FROM \`${this.database}\`.orders WHERE user_id LIKE ? GROUP BY status, reason`,
			[`${userPrefix.replace(/[\\%_]/g, "\\$&")}%`],
		);
		return rows.map((r) => ({
			status: String(r.status),
			reason: r.reason === null ? null : String(r.reason),
			count: Number(r.n),
		}));
	}

	/** Orders not yet CONFIRMED, CANCELLED or TIMED_OUT, whoever placed them. */
	async openOrders(): Promise<number> {
		const [rows] = await this.db.query<mysql.RowDataPacket[]>(
			`SELECT COUNT(*) AS n FROM \`${this.database}\`.orders WHERE status NOT IN ('CONFIRMED', 'CANCELLED', 'TIMED_OUT')`,
		);
		return Number(rows[0]?.n ?? 0);
	}

	/** Waits until no order is open; false when `timeoutMs` passed first. */
	async drained(timeoutMs: number, onWait?: (open: number) => void): Promise<boolean> {
		const deadline = Date.now() + timeoutMs;
		let lastReport = Date.now();
		for (;;) {
			const open = await this.openOrders();
			if (open === 0) return true;
			if (Date.now() > deadline) return false;
			if (onWait && Date.now() - lastReport >= 5000) {
				onWait(open);
				lastReport = Date.now();
			}
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
	}
}
