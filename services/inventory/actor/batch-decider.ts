import {
	InsufficientStockError,
	InvalidReservationStateError,
	ReservationNotFoundError,
	SkuNotFoundError,
} from "../inventory.errors";
import { type Reservation, replayView, reservationView, type Stock, stockView } from "../reservation";
import type { InventoryCommand, Outcome } from "./inventory-commands";

export interface BatchInput {
	sku: string;
	/** The committed stock row, or null when the SKU does not exist yet. */
	stock: Stock | null;
	/** Every existing reservation the batch refers to (absent = does not exist). */
	reservations: ReadonlyMap<string, Reservation>;
	now: number;
	reservationTtlMs: number;
}

export interface BatchDecision {
	/** The stock after the batch, `version` already advanced when it changed; null if still unknown. */
	stock: Stock | null;
	/** What the commit must write. */
	write: {
		stock: "none" | "insert" | "update";
		/** Reservations created by this batch, in their final state. */
		inserted: Reservation[];
		/** Existing reservations whose status this batch changed, in their final state. */
		updated: Reservation[];
	};
	/** One outcome per command, in order. */
	outcomes: Outcome[];
}

/**
 * Decides a whole batch of commands for one SKU in memory, in arrival order, as if each ran alone
 * against the state the previous one left. Pure: the caller commits `write` with a version fence
 * and answers with `outcomes` only once that commit succeeded.
 */
export function decideBatch(input: BatchInput, commands: readonly InventoryCommand[]): BatchDecision {
	const { sku, now, reservationTtlMs } = input;
	const created = input.stock === null;
	let stock: Stock | null = input.stock ? { ...input.stock } : null;
	let stockChanged = false;
	const touched = new Map<string, Reservation>();
	const inserted = new Set<string>();
	const outcomes: Outcome[] = [];

	const find = (id: string): Reservation | undefined => touched.get(id) ?? input.reservations.get(id);
	const put = (r: Reservation, isNew: boolean) => {
		touched.set(r.reservationId, r);
		if (isNew) inserted.add(r.reservationId);
	};

	/** A RESERVED reservation past its expiry is released before anything else looks at it. */
	const current = (id: string): Reservation | undefined => {
		const r = find(id);
		if (r?.status !== "RESERVED" || r.expiresAt > now || !stock) return r;
		const released: Reservation = { ...r, status: "RELEASED" };
		stock.available += r.quantity;
		stock.reserved -= r.quantity;
		stockChanged = true;
		put(released, false);
		return released;
	};

	for (const command of commands) {
		switch (command.kind) {
			case "reserve": {
				const existing = current(command.reservationId);
				if (existing) {
					outcomes.push({ ok: true, value: replayView(existing) });
				} else if (!stock) {
					outcomes.push({ ok: false, error: new SkuNotFoundError(sku) });
				} else if (command.quantity > stock.available) {
					outcomes.push({ ok: false, error: new InsufficientStockError(sku, command.quantity, stock.available) });
				} else {
					stock.available -= command.quantity;
					stock.reserved += command.quantity;
					stockChanged = true;
					const reservation: Reservation = {
						reservationId: command.reservationId,
						orderId: command.orderId,
						sku,
						quantity: command.quantity,
						status: "RESERVED",
						expiresAt: now + reservationTtlMs,
					};
					put(reservation, true);
					outcomes.push({ ok: true, value: reservationView(reservation) });
				}
				break;
			}
			case "release":
			case "confirm": {
				const wanted = command.kind === "release" ? "RELEASED" : "CONFIRMED";
				const existing = current(command.reservationId);
				if (!existing || !stock) {
					outcomes.push({ ok: false, error: new ReservationNotFoundError(command.reservationId) });
				} else if (existing.status === wanted) {
					outcomes.push({ ok: true, value: reservationView(existing) });
				} else if (existing.status !== "RESERVED") {
					outcomes.push({
						ok: false,
						error: new InvalidReservationStateError(command.reservationId, existing.status, wanted),
					});
				} else {
					stock.reserved -= existing.quantity;
					if (wanted === "RELEASED") stock.available += existing.quantity;
					else stock.confirmed += existing.quantity;
					stockChanged = true;
					const next: Reservation = { ...existing, status: wanted };
					put(next, false);
					outcomes.push({ ok: true, value: reservationView(next) });
				}
				break;
			}
			case "expire": {
				const existing = current(command.reservationId);
				if (!existing) outcomes.push({ ok: false, error: new ReservationNotFoundError(command.reservationId) });
				else outcomes.push({ ok: true, value: reservationView(existing) });
				break;
			}
			case "setAvailable":
			case "adjustAvailable": {
				stock ??= { sku, available: 0, reserved: 0, confirmed: 0, version: 0 };
				const next = command.kind === "setAvailable" ? command.available : Math.max(0, stock.available + command.delta);
				if (next !== stock.available || created) stockChanged = true;
				stock.available = next;
				outcomes.push({ ok: true, value: stockView(stock) });
				break;
			}
		}
	}

	if (stock && stockChanged) {
		stock.version = (input.stock?.version ?? 0) + 1;
		// Stock views handed out in this batch carry the version the commit will write.
		for (const outcome of outcomes) {
			if (outcome.ok && "version" in outcome.value) outcome.value.version = stock.version;
		}
	}
	const touchedList = [...touched.values()];
	return {
		stock,
		write: {
			stock: !stockChanged ? "none" : created ? "insert" : "update",
			inserted: touchedList.filter((r) => inserted.has(r.reservationId)),
			updated: touchedList.filter((r) => !inserted.has(r.reservationId)),
		},
		outcomes,
	};
}
