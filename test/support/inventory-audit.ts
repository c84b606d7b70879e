import type mysql from "mysql2/promise";
import { QueryTypes, Sequelize } from "sequelize";
import { testServerConnection } from "./test-database";

export interface SkuAudit {
	sku: string;
	available: number;
	reserved: number;
	confirmed: number;
	heldByReservations: number;
	soldByReservations: number;
	reservationRows: number;
}

/**
 * Reads the inventory tables directly (a separate connection, not the service's) to check the
 * invariants after a run: nothing negative, reserved/confirmed equal to their reservations.
 */
export async function auditInventory(databaseUrl: string, database: string): Promise<Map<string, SkuAudit>> {
	const db = new Sequelize(`${databaseUrl}/${database}`, { logging: false });
	try {
		const rows = await db.query<SkuAudit>(
			`SELECT s.sku, s.available, s.reserved, s.confirmed,
				COALESCE(SUM(CASE WHEN r.status = 'RESERVED' THEN r.quantity END), 0) AS heldByReservations,
				COALESCE(SUM(CASE WHEN r.status = 'CONFIRMED' THEN r.quantity END), 0) AS soldByReservations,
				COUNT(r.order_id) AS reservationRows
			FROM stock s LEFT JOIN reservations r ON r.sku = s.sku
			GROUP BY s.sku, s.available, s.reserved, s.confirmed`,
			{ type: QueryTypes.SELECT },
		);
		return new Map(
			rows.map((r) => [
				r.sku,
				{
					sku: r.sku,
					available: Number(r.available),
					reserved: Number(r.reserved),
					confirmed: Number(r.confirmed),
					heldByReservations: Number(r.heldByReservations),
					soldByReservations: Number(r.soldByReservations),
					reservationRows: Number(r.reservationRows),
				},
			]),
		);
	} finally {
		await db.close();
	}
}

/** The invariant every SKU must satisfy at every instant. */
export function expectConsistent(audit: SkuAudit, everythingEverAdded: number): void {
	expect(Math.min(audit.available, audit.reserved, audit.confirmed)).toBeGreaterThanOrEqual(0);
	expect(audit.available + audit.reserved + audit.confirmed).toBe(everythingEverAdded);
	expect(audit.reserved).toBe(audit.heldByReservations);
	expect(audit.confirmed).toBe(audit.soldByReservations);
}

/** The order ids holding a reservation (of any status) of `sku`, read with a connection of our own. */
export async function storedOrders(database: string, sku: string): Promise<string[]> {
	const reader = await testServerConnection(database);
	try {
		const [rows] = await reader.query<mysql.RowDataPacket[]>("SELECT order_id FROM reservations WHERE sku = ?", [sku]);
		return rows.map((r) => String(r.order_id));
	} finally {
		await reader.end();
	}
}
