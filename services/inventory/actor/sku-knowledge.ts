import type { Reservation, Stock } from "../reservation";
import type { InventoryRepository } from "../storage/inventory.repository";
import type { BatchDecision } from "./batch-decider";
import { type InventoryCommand, reservationIdOfCommand } from "./inventory-commands";
import { ReservedOrders } from "./reserved-orders-index";

/** `decidedBy` of a state read from the database: nothing it depends on is still in flight. */
export const LOADED = 0;

/**
 * What the actor holds of its SKU: the database's rows as of the last load or commit, with the
 * decisions of the batches still committing already applied (the next batch is decided on top of them).
 */
export interface SkuState {
	stock: Stock | null;
	reservations: Map<string, Reservation>;
	/** True when `reservations` holds every reservation of the SKU (absence then means "none"). */
	complete: boolean;
	/**
	 * The number of the decision this state ends with (maybe still committing), or LOADED. It is what a
	 * batch decided on this state waits for before it takes the stock row's fence: the version it checks
	 * is the one that decision writes, so if decision `decidedBy` does not commit, neither may this batch.
	 * A LOADED state waits for nothing.
	 */
	decidedBy: number;
	/**
	 * The reservations written by the decisions that may still be committing, which neither a lookup nor
	 * a read of the ReservedOrders index can see yet. They survive the cache's trimming (else a release or
	 * confirm of one would find nothing) and are handed to an index read that starts meanwhile (else a
	 * repeat of its order could be refused from memory).
	 */
	recentWrites: Reservation[][];
}

/** A command of the batch the state is loaded for; `retries`: how often a batch of it was redone. */
export interface QueuedCommand {
	command: InventoryCommand;
	retries: number;
}

/**
 * A state that neither this actor's commits nor a check have matched against the database for this
 * long is checked (one read of the stock row), in the background. Writes never need it (the fence
 * catches another writer), but refusals from memory write nothing (sold-out-refusals.ts): without it,
 * an actor whose SKU another node changed meanwhile (ownership moved away and back) would go on
 * refusing from memory.
 */
const CHECK_AFTER_MS = 1_000;

/**
 * What one SKU's actor knows of its SKU: the state it decides on, the cache of reservations (trimmed
 * beyond `reservationCacheLimit`, the SKU then "overflowed"), the ReservedOrders index of an overflowed
 * SKU, and whether all that still matches the database (the stock-row check).
 */
export class SkuKnowledge {
	private state: SkuState | null = null;
	/** The SKU has had more reservations than the cache holds: reloads read only its stock row. */
	private overflowed = false;
	/**
	 * With more reservations than the cache holds: which orders hold one, read from the database the
	 * first time the SKU is sold out, so that sold-out reserves are still refused from memory.
	 */
	private readonly reservedOrders: ReservedOrders;
	/** The stock row as of the last commit or load: undefined while the state is unknown. */
	private committed: { available: number; version: number } | undefined;
	/** When the state was last known to match the database (a load, a commit, or a check of the stock row). */
	private checkedAt = 0;
	private checking = false;

	/**
	 * `decisionsInFlight`: how many decisions may be committing at once (the pipeline's depth), whose
	 * writes `recentWrites` keeps. `onStale`: a check found that another writer changed the SKU; the
	 * owner forgets what is held here.
	 */
	constructor(
		readonly sku: string,
		private readonly repository: InventoryRepository,
		private readonly limits: { reservationCacheLimit: number; decisionsInFlight: number },
		private readonly onStale: () => void,
	) {
		this.reservedOrders = new ReservedOrders((pageSize) => repository.reservationIdPagesOfSku(sku, pageSize));
	}

	/** False until loaded, and again once forgotten. */
	get hasState(): boolean {
		return this.state !== null;
	}

	/** The SKU exists and the state (maybe not committed yet) has no unit free. */
	get soldOut(): boolean {
		const stock = this.state?.stock;
		return !!stock && stock.available <= 0;
	}

	/** No unit was free in the stock row as last committed or loaded. */
	get noneFreeAtLastCommit(): boolean {
		return this.committed?.available === 0;
	}

	/**
	 * True only when the order certainly holds no reservation, committed or decided: none in memory,
	 * and either every reservation is in memory or the ReservedOrders index proves it absent.
	 */
	certainlyUnreserved(reservationId: string): boolean {
		const state = this.state;
		if (!state || state.reservations.has(reservationId)) return false;
		return state.complete || this.reservedOrders.certainlyAbsent(reservationId);
	}

	/** Starts reading which orders hold a reservation, when not all of them are in memory. */
	readReservedOrders(): void {
		const state = this.state;
		if (!state || state.complete || this.reservedOrders.ready) return;
		this.reservedOrders.read(() => state.recentWrites.flat().map((r) => r.reservationId));
	}

	/** Checks the stock row in the background when the state has not been matched for CHECK_AFTER_MS. */
	checkIfDue(now: number): void {
		if (this.state && now - this.checkedAt > CHECK_AFTER_MS) this.checkStockRow();
	}

	/**
	 * The state to decide `batch` on. Reservations the batch refers to that are not in memory are looked
	 * up, except those of first-time reserves (`unproven`): a new order is the hot path, and its absence
	 * is proven by the reservation INSERT's unique key instead of a lookup. If one did exist, the commit
	 * throws DuplicateReservationError and the batch is redone, with lookups (a retried command is always
	 * looked up); a reserve refused without proof is looked up before it is answered (SkuActor).
	 */
	async load(batch: readonly QueuedCommand[]): Promise<{ state: SkuState; unproven: Set<string> }> {
		if (!this.state) {
			// A SKU known to have more reservations than the cache holds is not read in full again (they
			// would be trimmed at the next batch): when it is read again, only its stock row is.
			const [stock, known] = await Promise.all([
				this.repository.findStock(this.sku),
				this.overflowed
					? { reservations: [], complete: false }
					: this.repository.findReservationsOfSku(this.sku, this.limits.reservationCacheLimit),
			]);
			this.remember(stock);
			this.state = {
				stock,
				reservations: new Map(known.reservations.map((r) => [r.reservationId, r])),
				complete: known.complete,
				decidedBy: LOADED,
				recentWrites: [],
			};
			this.overflowed = !known.complete;
		}
		const state = this.state;
		const unproven = new Set<string>();
		if (!state.complete) {
			const unknown = new Set<string>();
			for (const { command, retries } of batch) {
				const id = reservationIdOfCommand(command);
				if (!id || state.reservations.has(id)) continue;
				// The index, when there is one, proves most absences without a query.
				if (this.reservedOrders.certainlyAbsent(id)) continue;
				if (command.kind === "reserve" && retries === 0) unproven.add(id);
				else unknown.add(id);
			}
			await this.lookUp(state, [...unknown]);
		}
		return { state, unproven };
	}

	/**
	 * Adds the stored reservations among `ids` to `state`; returns how many were found. `state` is the
	 * one the batch loaded, even if it has been forgotten since: the batch is decided on it to the end,
	 * and its fence settles whether it still holds.
	 */
	async lookUp(state: SkuState, ids: string[]): Promise<number> {
		if (ids.length === 0) return 0;
		const found = await this.repository.findReservations(ids);
		for (const r of found) state.reservations.set(r.reservationId, r);
		return found.length;
	}

	/** The state after decision number `seq`, before it commits: the next batch is decided on top of it. */
	applyDecision(state: SkuState, decision: BatchDecision, seq: number): void {
		state.stock = decision.stock;
		for (const r of decision.write.inserted) {
			state.reservations.set(r.reservationId, r);
			this.reservedOrders.added(r.reservationId);
		}
		for (const r of decision.write.updated) state.reservations.set(r.reservationId, r);
		const written = [...decision.write.inserted, ...decision.write.updated];
		state.recentWrites = [...state.recentWrites, written].slice(-this.limits.decisionsInFlight);
		if (state.reservations.size > this.limits.reservationCacheLimit) {
			// Trimmed to the rows that may still be committing (see `recentWrites`).
			state.reservations = new Map(state.recentWrites.flat().map((r) => [r.reservationId, r]));
			state.complete = false;
			this.overflowed = true;
		}
		state.decidedBy = seq;
	}

	/** The stock row as it now is in the database: loaded, or written by this actor's commit. */
	remember(stock: Stock | null): void {
		this.committed = stock ? { available: stock.available, version: stock.version } : undefined;
		this.checkedAt = Date.now();
	}

	/** What is held may be stale: the next batch reads it again. */
	forget(): void {
		this.state = null;
		this.committed = undefined;
		this.reservedOrders.drop();
	}

	/**
	 * Reads the stock row and calls `onStale` if its version is neither the one last committed or
	 * loaded nor one of the decisions still committing: another node wrote the SKU. A commit of ours
	 * while the read was out settles the question by itself; a failed read is tried again
	 * CHECK_AFTER_MS later.
	 */
	private checkStockRow(): void {
		if (this.checking) return;
		this.checking = true;
		const known = this.committed;
		this.repository
			.findStock(this.sku)
			.then(
				(row) => {
					if (this.committed !== known) return;
					const lowest = known?.version ?? 0;
					const highest = this.state?.stock?.version ?? lowest;
					const version = row?.version ?? 0;
					if (version >= lowest && version <= highest) {
						this.checkedAt = Date.now();
					} else {
						this.onStale();
					}
				},
				() => {
					this.checkedAt = Date.now();
				},
			)
			.finally(() => {
				this.checking = false;
			});
	}
}
