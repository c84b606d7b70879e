import { InsufficientStockError } from "../inventory.errors";
import type { Stock } from "../reservation";
import { type InventoryCommand, reservationIdOfCommand } from "./inventory-commands";
import type { SkuKnowledge } from "./sku-knowledge";

/**
 * Reserves on a sold-out SKU answered from memory, without a database round trip. A refusal writes
 * nothing, so no fence checks it: it is given only when it is the outcome a batch would decide, that is
 * when all of these hold:
 * 1. the state says no unit is free (SkuKnowledge.soldOut; a state another node changed meanwhile is
 *    caught by the check of the stock row, SkuKnowledge.checkIfDue);
 * 2. no batch in flight can give units back by failing: none is in flight, or none was free at the
 *    last commit and none is free after any batch in flight (whichever of them commit, none are free);
 * 3. the order holds no reservation: none in memory, and when not all are in memory, the SKU's
 *    ReservedOrders index proves it (SkuKnowledge.certainlyUnreserved);
 * 4. no command of the order is queued or in flight (its outcome is pending).
 */
export class SoldOutRefusals {
	/** Reservation ids with a command queued or in flight, and how many (condition 4). */
	private readonly pendingIds = new Map<string, number>();
	/** Batches in flight whose decision leaves units free (condition 2). */
	private inFlightLeavingUnitsFree = 0;

	constructor(
		private readonly sku: string,
		private readonly knowledge: SkuKnowledge,
	) {}

	/** The refusal to answer `command` with at once, or undefined when it must go through a batch. */
	refusalOf(command: InventoryCommand, batchesInFlight: number): Error | undefined {
		if (command.kind !== "reserve" || !this.knowledge.soldOut) return undefined;
		// Not every reservation is in memory: which orders hold one is read once, as soon as the SKU sells out.
		this.knowledge.readReservedOrders();
		if (batchesInFlight > 0 && (!this.knowledge.noneFreeAtLastCommit || this.inFlightLeavingUnitsFree > 0)) {
			return undefined;
		}
		if (this.pendingIds.has(command.reservationId)) return undefined;
		if (!this.knowledge.certainlyUnreserved(command.reservationId)) return undefined;
		return new InsufficientStockError(this.sku, command.quantity, 0);
	}

	/** `command` was queued: its order's outcome is pending until it is answered. */
	queued(command: InventoryCommand): void {
		this.track(command, +1);
	}

	answered(command: InventoryCommand): void {
		this.track(command, -1);
	}

	/** A batch was decided to leave `stock`; returns what to call once it has committed or failed. */
	batchDecided(stock: Stock | null): () => void {
		if ((stock?.available ?? 0) <= 0) return () => undefined;
		this.inFlightLeavingUnitsFree++;
		return () => {
			this.inFlightLeavingUnitsFree--;
		};
	}

	private track(command: InventoryCommand, delta: 1 | -1): void {
		const id = reservationIdOfCommand(command);
		if (!id) return;
		const next = (this.pendingIds.get(id) ?? 0) + delta;
		if (next > 0) this.pendingIds.set(id, next);
		else this.pendingIds.delete(id);
	}
}
