/** A reservation's life: RESERVED, then exactly one of CONFIRMED or RELEASED (by release or expiry). */
export type ReservationStatus = "RESERVED" | "CONFIRMED" | "RELEASED";

export interface Reservation {
	/** Deterministic: `orderId:sku`, so a repeated request finds the original. */
	reservationId: string;
	orderId: string;
	sku: string;
	quantity: number;
	status: ReservationStatus;
	/** Epoch milliseconds after which a RESERVED reservation is released by the sweep. */
	expiresAt: number;
}

export interface StockLevels {
	available: number;
	reserved: number;
	confirmed: number;
}

/** The stock row as the actor knows it; `version` is the fence every write checks. */
export interface Stock extends StockLevels {
	sku: string;
	version: number;
}

/**
 * Order ids may not contain ':' so that `orderId:sku` names exactly one pair
 * ("a:b" + "c" and "a" + "b:c" would otherwise collide).
 */
export function reservationIdOf(orderId: string, sku: string): string {
	return `${orderId}:${sku}`;
}

/** The stored key of a reservation id: everything before the first ':' is the order id. */
export function reservationKeyOf(reservationId: string): { orderId: string; sku: string } {
	const colon = reservationId.indexOf(":");
	if (colon < 1) throw new Error(`not a reservation id: "${reservationId}"`);
	return { orderId: reservationId.slice(0, colon), sku: reservationId.slice(colon + 1) };
}

/**
 * The last expiry formatted: a batch's reservations share one `now`, so one expiry, and formatting a
 * date costs more than the rest of the view, and it showed in the inventory node's profile of the hot path.
 */
let lastExpiry = { at: Number.NaN, iso: "" };

function isoExpiry(at: number): string {
	if (lastExpiry.at !== at) lastExpiry = { at, iso: new Date(at).toISOString() };
	return lastExpiry.iso;
}

/** The public view of a reservation. */
export function reservationView(r: Reservation) {
	return {
		reservationId: r.reservationId,
		orderId: r.orderId,
		sku: r.sku,
		quantity: r.quantity,
		status: r.status,
		expiresAt: isoExpiry(r.expiresAt),
	};
}

export type ReservationView = ReturnType<typeof reservationView>;

/** The answers to reserves that found their reservation already stored (idempotent replays), for the metrics. */
const replayViews = new WeakSet<object>();

/** The view a repeated reserve gets: the stored reservation, as for the first, but counted as `replayed`. */
export function replayView(r: Reservation): ReservationView {
	const view = reservationView(r);
	replayViews.add(view);
	return view;
}

/** Whether a reserve's answer (on the node that decided it) was a replay of an earlier reserve. */
export function isReplay(view: unknown): boolean {
	return typeof view === "object" && view !== null && replayViews.has(view);
}

export function stockView(stock: Stock) {
	return {
		sku: stock.sku,
		available: stock.available,
		reserved: stock.reserved,
		confirmed: stock.confirmed,
		version: stock.version,
	};
}

export type StockView = ReturnType<typeof stockView>;
