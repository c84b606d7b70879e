import type mysql from "mysql2/promise";
import { reservationIdOf } from "../../services/inventory/reservation";

/** What both baselines answer, shaped like the inventory's reservation view. */
export interface BaselineReservation {
	reservationId: string;
	orderId: string;
	sku: string;
	quantity: number;
	status: "RESERVED";
	expiresAt: string;
}

/** The inventory's default hold time (INVENTORY_RESERVATION_TTL_S). */
const RESERVATION_TTL_MS = 900_000;

/** Inserts the RESERVED row inside the caller's transaction, exactly as wide as the inventory's. */
export async function insertReservation(
	conn: mysql.PoolConnection,
	request: { orderId: string; sku: string; quantity: number },
): Promise<BaselineReservation> {
	const now = Date.now();
	const reservationId = reservationIdOf(request.orderId, request.sku);
	const expiresAt = now + RESERVATION_TTL_MS;
	await conn.query(
		`INSERT INTO reservations (order_id, sku, quantity, status, expires_at, created_at, updated_at)
		 VALUES (?, ?, ?, 'RESERVED', ?, ?, ?)`,
		[request.orderId, request.sku, request.quantity, expiresAt, now, now],
	);
	return {
		reservationId,
		orderId: request.orderId,
		sku: request.sku,
		quantity: request.quantity,
		status: "RESERVED",
		expiresAt: new Date(expiresAt).toISOString(),
	};
}
