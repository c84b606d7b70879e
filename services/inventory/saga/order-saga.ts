import type { Transaction } from "sequelize";
import {
	type InventoryReservationFailedPayload,
	type InventoryReservedPayload,
	type OrderCreatedPayload,
	type OrderLine,
	type ReservationFailureReason,
	TOPIC,
} from "../../../lib/events/checkout-topics";
import type { EventEnvelope } from "../../../lib/events/event-envelope";
import { newEvent } from "../../../lib/events/event-envelope";
import { INSUFFICIENT_STOCK, SKU_NOT_FOUND } from "../inventory.errors";
import type { ReservationView } from "../reservation";
import type { HoldStatus, OrderHold, OrderHoldsRepository } from "./order-holds.repository";

/** A line's reserve, as the saga sees it: held, or refused for a reason that retrying will not change. */
export type LineOutcome = { ok: true; reservation: ReservationView } | { ok: false; code: string; message: string };

/**
 * How the saga reaches the SKUs' actors (through the routed actions, so each line goes to its owner).
 * Each call is idempotent per (orderId, sku); a transient failure (queue full, database down) throws.
 */
export interface OrderLines {
	reserve(orderId: string, line: OrderLine): Promise<LineOutcome>;
	release(orderId: string, sku: string): Promise<void>;
	confirm(orderId: string, sku: string): Promise<void>;
}

/** What the service gives the saga: consumer dedup and the outbox (both in the caller's transaction). */
export interface SagaEffects {
	consumeOnce(envelope: EventEnvelope, consumer: string, effect: (tx: Transaction) => Promise<void>): Promise<boolean>;
	writeEvents(transaction: Transaction, events: readonly EventEnvelope[]): Promise<void>;
}

export type OrderOutcome = "reserved" | "failed" | "duplicate" | "already-decided";

export const SAGA_CONSUMER = "inventory";

/** Holds whose lines must all be released: nothing of the order may stay reserved. */
const RELEASING: readonly HoldStatus[] = ["FAILED", "RELEASED", "CANCELLED"];

/** Business refusals of a line; anything else (429, 503, timeouts) is transient and retried. */
const DECISIVE: Record<string, ReservationFailureReason> = {
	[INSUFFICIENT_STOCK]: "INSUFFICIENT_STOCK",
	[SKU_NOT_FOUND]: "SKU_NOT_FOUND",
	VALIDATION_ERROR: "INVALID_ORDER",
};

export function isDecisiveRefusal(type: string | undefined): boolean {
	return type !== undefined && type in DECISIVE;
}

/**
 * Inventory's part in the checkout saga. An order's lines belong to different SKUs, so to different
 * actors (and nodes): the order's outcome cannot be one SKU's batch transaction. Instead:
 * 1. each line is reserved through its SKU's actor (idempotent per `orderId:sku`);
 * 2. the outcome is decided ONCE: the `order_holds` row, the outcome event (outbox) and the dedup row
 *    commit in one transaction, and the order's primary key lets only one decision in;
 * 3. the lines are then brought in line with the recorded status (released if the order failed), and
 *    the hold is marked settled. A node dying between 2 and 3 leaves the hold unsettled; `settle`
 *    (run by the sweep timer) finishes the job.
 * Later events (timed out, cancelled, paid) move the hold by a conditional UPDATE, so a payment and a
 * cancellation racing each other cannot both win, then settle the lines the same way.
 */
export class OrderSaga {
	constructor(
		private readonly holds: OrderHoldsRepository,
		private readonly lines: OrderLines,
		private readonly effects: SagaEffects,
	) {}

	/** `order.created.v1`: hold every line, or none, and say which. */
	async onOrderCreated(
		envelope: EventEnvelope<OrderCreatedPayload>,
		items: OrderLine[] | { invalid: string },
	): Promise<OrderOutcome> {
		const { orderId } = envelope.payload;
		const decided = await this.holds.find(orderId);
		if (decided) {
			if (!("invalid" in items)) await this.releaseUnnamedLines(decided, items);
			return this.recordSeen(envelope, "already-decided");
		}

		if ("invalid" in items) {
			return this.decide(envelope, [], failure(envelope, "INVALID_ORDER", items.invalid, []));
		}
		const outcomes = await Promise.all(items.map((line) => this.lines.reserve(orderId, line)));
		const held: ReservationView[] = [];
		// Refused lines, and lines already RELEASED by an earlier attempt of this order (no hold either).
		const missing: Array<OrderLine & { code: string; message: string }> = [];
		items.forEach((line, i) => {
			const outcome = outcomes[i] as LineOutcome;
			if (!outcome.ok) missing.push({ ...line, code: outcome.code, message: outcome.message });
			else if (outcome.reservation.status === "RELEASED") {
				missing.push({ ...line, code: "RESERVATION_RELEASED", message: `${line.sku} was already released` });
			} else held.push(outcome.reservation);
		});
		const [first] = missing;
		if (!first) return this.decide(envelope, items, reserved(envelope, held));
		const reason = DECISIVE[first.code] ?? "INSUFFICIENT_STOCK";
		const failed = missing.map(({ sku, quantity, code }) => ({ sku, quantity, code }));
		return this.decide(envelope, items, failure(envelope, reason, first.message, failed));
	}

	/** `order.timed-out.v1`, `order.cancelled.v1`, `payment.failed.v1`: give the order's stock back. */
	async onOrderCalledOff(envelope: EventEnvelope<{ orderId: string }>): Promise<HoldStatus | "duplicate"> {
		// A hold moves only out of RESERVED: one that has left it (most often FAILED: the order was called
		// off because inventory refused it) stays as it is, so there is nothing to write, not even a dedup row.
		const hold = await this.holds.find(envelope.payload.orderId);
		if (hold && hold.status !== "RESERVED") return hold.status;
		// An order not seen yet gets a tombstone, so that its late order.created holds nothing.
		return this.move(envelope, "RELEASED", true, hold ?? undefined) as Promise<HoldStatus | "duplicate">;
	}

	/**
	 * `order.confirmed.v1`: the held lines become sales. Returns null while inventory has not decided
	 * the order yet (the caller retries later). Orders confirms only after `inventory.reserved.v1`, so
	 * this is rare: an operator's confirm, or a replayed event. Confirming on the order's end rather
	 * than on the payment keeps a cancel that wins after payment from leaving the stock sold.
	 */
	async onOrderConfirmed(envelope: EventEnvelope<{ orderId: string }>): Promise<HoldStatus | "duplicate" | null> {
		// Checked before the dedup record: an undecided order's payment must be handled again later.
		const hold = await this.holds.find(envelope.payload.orderId);
		if (!hold) return null;
		return this.move(envelope, "CONFIRMED", false, hold);
	}

	/** Brings every line of the hold in line with its status, then marks it settled. Idempotent. */
	async settle(hold: Pick<OrderHold, "orderId" | "status" | "lines">): Promise<void> {
		if (RELEASING.includes(hold.status)) {
			await Promise.all(hold.lines.map((line) => this.lines.release(hold.orderId, line.sku)));
		} else if (hold.status === "CONFIRMED") {
			await Promise.all(hold.lines.map((line) => this.lines.confirm(hold.orderId, line.sku)));
		}
		await this.holds.markSettled(hold.orderId, hold.status);
	}

	/**
	 * Moves a RESERVED hold to `to` (once per event), then settles its lines; a hold in another status
	 * stays as it is. Returns the hold's status after the event. `known`: the hold as read before (its
	 * lines never change once decided), so a hold this event moved need not be read again.
	 */
	private async move(
		envelope: EventEnvelope<{ orderId: string }>,
		to: HoldStatus,
		tombstone: boolean,
		known?: OrderHold,
	): Promise<HoldStatus | "duplicate" | null> {
		const { orderId } = envelope.payload;
		let moved = false;
		let after: OrderHold | null = null;
		const applied = await this.effects.consumeOnce(envelope, SAGA_CONSUMER, async (tx) => {
			const now = Date.now();
			moved = await this.holds.transition(tx, orderId, ["RESERVED"], to, now);
			if (!moved && tombstone) {
				await this.holds.insert(tx, { orderId, status: "CANCELLED", lines: [], settled: true }, now);
			}
			after =
				moved && known ? { ...known, status: to, settled: false, updatedAt: now } : await this.holds.find(orderId, tx);
		});
		if (!applied) return "duplicate";
		const hold = after as OrderHold | null;
		// The transition is this event's: its lines are this event's to settle (the sweep retries if we die).
		if (moved && hold) await this.settle(hold);
		return hold?.status ?? null;
	}

	/** Records the decision with its event; if another decision got in first, follows that one instead. */
	private async decide(
		envelope: EventEnvelope<OrderCreatedPayload>,
		lines: OrderLine[],
		outcome: EventEnvelope,
	): Promise<OrderOutcome> {
		const { orderId } = envelope.payload;
		const status: HoldStatus = outcome.type === TOPIC.inventoryReserved ? "RESERVED" : "FAILED";
		let won = false;
		const applied = await this.effects.consumeOnce(envelope, SAGA_CONSUMER, async (tx) => {
			won = await this.holds.insert(tx, { orderId, status, lines, settled: status === "RESERVED" }, Date.now());
			if (won) await this.effects.writeEvents(tx, [outcome]);
		});
		if (!applied) return "duplicate";
		if (won) {
			if (status === "FAILED") await this.settle({ orderId, status, lines });
			return status === "RESERVED" ? "reserved" : "failed";
		}
		// Lost to a cancellation (or another copy of this order): what this attempt reserved must follow it.
		const winner = await this.holds.find(orderId);
		if (winner && RELEASING.includes(winner.status)) {
			await Promise.all(lines.map((line) => this.lines.release(orderId, line.sku)));
		}
		return "already-decided";
	}

	/**
	 * A hold that gives the order's stock back but does not name some of its lines: the tombstone of an
	 * order called off before inventory decided it. An earlier attempt of this event may have reserved
	 * those lines and failed before deciding (a reserve that timed out yet committed, a release that
	 * failed after losing to the tombstone); the attempt that finds the tombstone gives them back.
	 * Releasing a line never reserved is a no-op.
	 */
	private async releaseUnnamedLines(hold: OrderHold, items: OrderLine[]): Promise<void> {
		if (!RELEASING.includes(hold.status)) return;
		const named = new Set(hold.lines.map((line) => line.sku));
		const unnamed = items.filter((line) => !named.has(line.sku));
		await Promise.all(unnamed.map((line) => this.lines.release(hold.orderId, line.sku)));
	}

	private async recordSeen(envelope: EventEnvelope, outcome: OrderOutcome): Promise<OrderOutcome> {
		const applied = await this.effects.consumeOnce(envelope, SAGA_CONSUMER, async () => undefined);
		return applied ? outcome : "duplicate";
	}
}

/** Outcome events are keyed by the order and carry the order event's correlation id. */
function reserved(
	cause: EventEnvelope<OrderCreatedPayload>,
	reservations: ReservationView[],
): EventEnvelope<InventoryReservedPayload> {
	const { orderId } = cause.payload;
	const expiresAt = reservations.map((r) => r.expiresAt).sort()[0] ?? new Date().toISOString();
	return newEvent<InventoryReservedPayload>(
		TOPIC.inventoryReserved,
		orderId,
		{
			orderId,
			items: reservations.map((r) => ({ sku: r.sku, quantity: r.quantity, reservationId: r.reservationId })),
			expiresAt,
		},
		cause.correlationId,
	);
}

function failure(
	cause: EventEnvelope<OrderCreatedPayload>,
	reason: ReservationFailureReason,
	message: string,
	items: InventoryReservationFailedPayload["items"],
): EventEnvelope<InventoryReservationFailedPayload> {
	const { orderId } = cause.payload;
	return newEvent<InventoryReservationFailedPayload>(
		TOPIC.inventoryReservationFailed,
		orderId,
		{ orderId, reason, message, items },
		cause.correlationId,
	);
}
