import { InsufficientStockError, InventoryUnavailableError, QueueFullError } from "../inventory.errors";
import type { Reservation, Stock } from "../reservation";
import { type CommitTimings, FenceLostError, type InventoryRepository } from "../storage/inventory.repository";
import { type BatchDecision, decideBatch } from "./batch-decider";
import { type CommandResult, type InventoryCommand, reservationIdOfCommand } from "./inventory-commands";
import { ReservedOrders } from "./reserved-orders-index";

export interface ActorOptions {
	/** Commands decided and committed together at most. */
	maxBatch: number;
	/** Queued commands beyond which callers get QUEUE_FULL at once. */
	mailboxDepth: number;
	reservationTtlMs: number;
	/** Reservations of one SKU kept in memory; beyond it the actor looks them up per batch. */
	reservationCacheLimit: number;
	/** Reload-and-decide-again attempts after a lost fence before the batch fails (retryably). */
	maxFenceRetries: number;
}

/** What an actor reports; the service turns it into metrics. */
export interface ActorObserver {
	/** `phases.prepareMs`: loading, lookups and deciding, before the transaction began. */
	batchCommitted(size: number, durationMs: number, phases: CommitTimings & { prepareMs: number }): void;
	fenceLost(sku: string): void;
	/** A check of the stock row found that another writer changed the SKU: the state is read again. */
	staleStateFound(sku: string): void;
	soldOutRejected(): void;
	batchFailed(sku: string, err: Error): void;
}

interface Pending {
	command: InventoryCommand;
	resolve(value: CommandResult): void;
	reject(err: Error): void;
	/** Arrival order: a batch that has to be redone goes back in line at its place. */
	seq: number;
	/** Batches of this command that lost the version fence so far. */
	fenceRetries: number;
	/** When it was queued (epoch ms), for the oldest wait operators read. */
	arrivedAt: number;
}

interface ActorState {
	stock: Stock | null;
	reservations: Map<string, Reservation>;
	/** True when `reservations` holds every reservation of the SKU (absence then means "none"). */
	complete: boolean;
	/** The decision this state ends with (maybe still committing), or LOADED when read from the database. */
	decidedBy: number;
	/** Reservations written by the last PIPELINE_DEPTH decisions (kept when the cache is trimmed). */
	recentWrites: Reservation[][];
}

/** `decidedBy` of a state read from the database: nothing it depends on is still in flight. */
const LOADED = 0;

/**
 * Batches in flight per actor. Batch k+1 is decided on top of batch k's (not yet committed) result
 * and writes its new reservation rows while k commits; it takes the stock row's fence only after k
 * committed, and its callers are answered after its own commit. Measured per batch of ~80
 * reservations at 200 in flight on the bench machine (shop_inventory_batch_phase_ms, MariaDB): the new
 * rows ~2.5 ms, the fenced writes and COMMIT ~2 ms, so overlapping the first with the batch before's
 * second shortens the cycle by about half. A third slot measured no faster, nor did sending the fenced
 * writes before the batch before committed, to wait for its COMMIT inside InnoDB (bench/RESULTS.md).
 * (On SQLite, whose writers take turns, batch k+1's transaction simply starts after k's: nothing overlaps.)
 */
const PIPELINE_DEPTH = 2;

/**
 * A state that neither this actor's commits nor a check have matched against the database for this
 * long is checked (one read of the stock row), in the background. Writes never need it (the fence
 * catches another writer), but refusals write nothing: without it, an actor whose SKU another node
 * changed meanwhile (ownership moved away and back) would go on refusing from memory.
 */
const CHECK_AFTER_MS = 1_000;

/** The batch this one was decided on top of did not commit (or committed a different decision). */
class PreviousBatchFailedError extends Error {
	constructor(sku: string) {
		super(`the previous batch of ${sku} did not commit`);
	}
}

/** A batch on its way: `decided` once its decision is in the state, `done` with the committed decision. */
interface BatchRun {
	decided: Promise<void>;
	/** The number of the decision that committed, or null when the batch failed. */
	done: Promise<number | null>;
}

/**
 * The single writer of one SKU on this node. Commands queue in a bounded mailbox; one worker drains
 * it in batches, decides each batch in memory in arrival order and commits it in one transaction
 * behind the stock row's version fence. Callers are answered only after the commit.
 */
export class SkuActor {
	private readonly mailbox: Pending[] = [];
	/**
	 * Commands not answered yet, queued or in a batch being decided or committed, in arrival order. The
	 * mailbox alone reads ~0 under load: the pipeline takes each command into a batch almost at once.
	 */
	private readonly unanswered = new Set<Pending>();
	/** Reservation ids with a command queued or in flight: never fast-rejected (their outcome is pending). */
	private readonly pendingIds = new Map<string, number>();
	private state: ActorState | null = null;
	/** The SKU has had more reservations than the cache holds: reloads read only its stock row. */
	private overflowed = false;
	/**
	 * With more reservations than the cache holds: which orders hold one, read from the database the
	 * first time the SKU is sold out, so that sold-out reserves are still refused from memory.
	 */
	private readonly reservedOrders: ReservedOrders;
	/** Wakes a drain loop that waits with a free pipeline slot and an empty mailbox. */
	private wake: (() => void) | undefined;
	private running = false;
	private batchesInFlight = 0;
	/** The stock row as of the last commit or load: undefined while the state is unknown. */
	private committed: { available: number; version: number } | undefined;
	/** When the state was last known to match the database (a load, a commit, or a check of the stock row). */
	private checkedAt = 0;
	private checking = false;
	/** Batches in flight that leave units free: if one fails, a refusal decided behind it could have been a sale. */
	private inFlightLeavingUnitsFree = 0;
	private decisionSeq = LOADED;
	private arrivals = 0;
	/** A batch failed: let every batch in flight settle before the next one is formed. */
	private recovering = false;
	/** The latest batch (maybe settled long ago): the next one is decided on top of it. */
	private lastBatch: Promise<number | null> = Promise.resolve(LOADED);
	lastActiveAt = Date.now();

	constructor(
		readonly sku: string,
		private readonly repository: InventoryRepository,
		private readonly options: ActorOptions,
		private readonly observer: ActorObserver,
	) {
		this.reservedOrders = new ReservedOrders((pageSize) => repository.reservationIdPagesOfSku(sku, pageSize));
	}

	get depth(): number {
		return this.mailbox.length;
	}

	get idle(): boolean {
		return !this.running && this.mailbox.length === 0;
	}

	/** Commands waiting for their answer: queued, or in a batch not committed yet. */
	get waiting(): number {
		return this.unanswered.size;
	}

	/** How long the longest-waiting command has waited so far (0 when none waits). */
	oldestWaitMs(now = Date.now()): number {
		const oldest = this.unanswered.values().next().value;
		return oldest ? Math.max(0, now - oldest.arrivedAt) : 0;
	}

	/** Batches decided since the actor was created (a batch redone after a lost fence counts again). */
	get batchesDecided(): number {
		return this.decisionSeq;
	}

	/** Commands queued since the actor was created. */
	get commandsArrived(): number {
		return this.arrivals;
	}

	submit(command: InventoryCommand): Promise<CommandResult> {
		this.lastActiveAt = Date.now();
		if (this.state && this.lastActiveAt - this.checkedAt > CHECK_AFTER_MS) this.checkStockRow();
		const soldOut = this.soldOutRejection(command);
		if (soldOut) {
			this.observer.soldOutRejected();
			return Promise.reject(soldOut);
		}
		if (this.mailbox.length >= this.options.mailboxDepth) {
			return Promise.reject(new QueueFullError(this.sku));
		}
		return new Promise<CommandResult>((resolve, reject) => {
			const pending = { command, resolve, reject, seq: ++this.arrivals, fenceRetries: 0, arrivedAt: this.lastActiveAt };
			this.mailbox.push(pending);
			this.unanswered.add(pending);
			this.track(command, +1);
			this.wake?.();
			if (!this.running) {
				// Started on the next microtask, not now: the other commands submitted in this same turn
				// (the rest of a reserveBatch call) then join the first batch instead of waiting behind it.
				this.running = true;
				queueMicrotask(() => void this.drain());
			}
		});
	}

	/**
	 * A reserve on a sold-out SKU is answered from memory, without a database round trip, when this
	 * order has no reservation (nor one in flight): known from the reservations in memory when they are
	 * all there, else from the SKU's ReservedOrders index.
	 */
	private soldOutRejection(command: InventoryCommand): Error | undefined {
		if (command.kind !== "reserve") return undefined;
		const state = this.state;
		if (!state?.stock || state.stock.available > 0) return undefined;
		// Not every reservation is in memory: which orders hold one is read once, as soon as the SKU sells out.
		if (!state.complete && !this.reservedOrders.ready) {
			this.reservedOrders.read(() => state.recentWrites.flat().map((r) => r.reservationId));
		}
		// With a batch in flight the state is not committed yet: if that batch fails, the units it took come
		// back. Unless none were free at the last commit and none are after any batch in flight: then
		// whichever of them commit, none are free.
		if (this.batchesInFlight > 0 && (this.committed?.available !== 0 || this.inFlightLeavingUnitsFree > 0)) {
			return undefined;
		}
		if (state.reservations.has(command.reservationId) || this.pendingIds.has(command.reservationId)) return undefined;
		if (!state.complete && !this.reservedOrders.certainlyAbsent(command.reservationId)) return undefined;
		return new InsufficientStockError(this.sku, command.quantity, 0);
	}

	private async drain(): Promise<void> {
		this.running = true;
		const inFlight: Promise<unknown>[] = [];
		try {
			while (this.mailbox.length > 0 || inFlight.length > 0) {
				// Nothing queued, the pipeline is full, or a failed batch's commands are on their way back
				// into the mailbox: let the oldest batch finish first.
				if (inFlight.length >= PIPELINE_DEPTH || (this.recovering && inFlight.length > 0)) {
					await inFlight.shift();
					continue;
				}
				if (this.mailbox.length === 0) {
					// A slot is free: start the next batch as soon as a command arrives, not only once the
					// batch in flight has committed.
					const oldest = inFlight[0] as Promise<unknown>;
					const arrival = new Promise<void>((resolve) => {
						this.wake = resolve;
					});
					if ((await Promise.race([oldest.then(() => "settled"), arrival])) === "settled") inFlight.shift();
					this.wake = undefined;
					continue;
				}
				if (this.recovering) {
					// Every batch has settled and the state will be read afresh: nothing to wait for.
					this.recovering = false;
					this.lastBatch = Promise.resolve(LOADED);
				}
				// With the pipeline empty, a full mailbox is split over its slots: the second half is decided
				// on top of the first and written while the first commits, and the first half's callers come
				// back while the second commits, so a closed loop of callers does not march in lockstep.
				const share =
					inFlight.length === 0 ? Math.ceil(this.mailbox.length / PIPELINE_DEPTH) : Number.POSITIVE_INFINITY;
				const batch = this.mailbox.splice(0, Math.min(this.options.maxBatch, share));
				const run = this.process(batch, this.lastBatch);
				this.lastBatch = run.done;
				this.batchesInFlight++;
				inFlight.push(
					run.done.then(() => {
						this.batchesInFlight--;
					}),
				);
				await run.decided;
			}
		} finally {
			this.running = false;
			this.lastActiveAt = Date.now();
		}
	}

	/** Decides and commits one batch on top of `previous` (the batch before it, maybe still committing). */
	private process(batch: Pending[], previous: Promise<number | null>): BatchRun {
		let markDecided!: () => void;
		const decided = new Promise<void>((resolve) => {
			markDecided = resolve;
		});
		const done = this.decideAndCommit(batch, previous, markDecided).finally(markDecided);
		return { decided, done };
	}

	/**
	 * Returns the committed decision's number, or null when the batch failed. A batch that lost the
	 * fence, or whose predecessor failed, goes back into the mailbox to be decided again on state read
	 * afresh; anything else fails its callers (retryably).
	 */
	private async decideAndCommit(
		batch: Pending[],
		previous: Promise<number | null>,
		markDecided: () => void,
	): Promise<number | null> {
		const started = performance.now();
		let leavesUnitsFree = false;
		try {
			// A state that has to be read again must include everything the batches before committed; if
			// the batch before failed, its commands go first (they are back in the mailbox), so this waits too.
			if (!this.state && (await previous) === null) {
				this.recovering = true;
				this.requeue(batch);
				return null;
			}
			const commands = batch.map((p) => p.command);
			const { state, unproven } = await this.load(batch);
			const now = Date.now();
			const decide = () =>
				decideBatch(
					{
						sku: this.sku,
						stock: state.stock,
						reservations: state.reservations,
						now,
						reservationTtlMs: this.options.reservationTtlMs,
					},
					commands,
				);
			let decision = decide();
			// A refusal must be the original outcome: look up those orders, and decide again if one had reserved.
			const refused = commands.flatMap((c, i) =>
				c.kind === "reserve" && unproven.has(c.reservationId) && !decision.outcomes[i]?.ok ? [c.reservationId] : [],
			);
			if (refused.length > 0 && (await this.lookUp(state, refused)) > 0) decision = decide();
			const basedOn = state.decidedBy;
			const previousVersion = state.stock?.version ?? 0;
			const seq = ++this.decisionSeq;
			this.applyDecision(state, decision, seq);
			leavesUnitsFree = (decision.stock?.available ?? 0) > 0;
			if (leavesUnitsFree) this.inFlightLeavingUnitsFree++;
			markDecided();

			const prepareMs = performance.now() - started;
			const timings = await this.repository.commit(previousVersion, decision, now, async () => {
				if (basedOn === LOADED) return;
				if ((await previous) !== basedOn) throw new PreviousBatchFailedError(this.sku);
			});

			this.remember(decision.stock);
			this.observer.batchCommitted(batch.length, performance.now() - started, { prepareMs, ...timings });
			decision.outcomes.forEach((outcome, i) => {
				const pending = batch[i] as Pending;
				if (outcome.ok) this.answer(pending, outcome.value);
				else this.fail(pending, outcome.error);
			});
			return seq;
		} catch (err) {
			this.forget();
			if (err instanceof PreviousBatchFailedError) {
				this.requeue(batch);
			} else if (err instanceof FenceLostError) {
				this.observer.fenceLost(this.sku);
				const again = batch.filter((p) => ++p.fenceRetries <= this.options.maxFenceRetries);
				const contention = new InventoryUnavailableError(this.sku, "contention");
				for (const pending of batch) if (!again.includes(pending)) this.fail(pending, contention);
				this.requeue(again);
			} else {
				this.observer.batchFailed(this.sku, err as Error);
				const failure = new InventoryUnavailableError(this.sku, "storage");
				for (const pending of batch) this.fail(pending, failure);
			}
			return null;
		} finally {
			if (leavesUnitsFree) this.inFlightLeavingUnitsFree--;
		}
	}

	/** The stock row as it now is in the database: loaded, or written by this actor's commit. */
	private remember(stock: Stock | null): void {
		this.committed = stock ? { available: stock.available, version: stock.version } : undefined;
		this.checkedAt = Date.now();
	}

	/** What we hold may be stale: read it again, once the batches in flight have settled. */
	private forget(): void {
		this.state = null;
		this.committed = undefined;
		this.reservedOrders.drop();
		this.recovering = true;
	}

	/**
	 * Reads the stock row and forgets the state if its version is neither the one last committed or
	 * loaded nor one of our batches in flight: another node wrote the SKU. A commit of ours while the
	 * read was out settles the question by itself; a failed read is tried again CHECK_AFTER_MS later.
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
						this.observer.staleStateFound(this.sku);
						this.forget();
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

	/** Puts commands back in the mailbox at their place in arrival order. */
	private requeue(batch: Pending[]): void {
		if (batch.length === 0) return;
		this.mailbox.unshift(...batch);
		this.mailbox.sort((a, b) => a.seq - b.seq);
	}

	private answer(pending: Pending, value: CommandResult): void {
		this.unanswered.delete(pending);
		this.track(pending.command, -1);
		pending.resolve(value);
	}

	private fail(pending: Pending, err: Error): void {
		this.unanswered.delete(pending);
		this.track(pending.command, -1);
		pending.reject(err);
	}

	/** The state after `decision`, before it commits: the next batch is decided on top of it. */
	private applyDecision(state: ActorState, decision: BatchDecision, seq: number): void {
		state.stock = decision.stock;
		for (const r of decision.write.inserted) {
			state.reservations.set(r.reservationId, r);
			this.reservedOrders.added(r.reservationId);
		}
		for (const r of decision.write.updated) state.reservations.set(r.reservationId, r);
		const written = [...decision.write.inserted, ...decision.write.updated];
		state.recentWrites = [...state.recentWrites, written].slice(-PIPELINE_DEPTH);
		if (state.reservations.size > this.options.reservationCacheLimit) {
			// Keep the rows of the batches that may still be committing: a lookup could not find them yet.
			state.reservations = new Map(state.recentWrites.flat().map((r) => [r.reservationId, r]));
			state.complete = false;
			this.overflowed = true;
		}
		state.decidedBy = seq;
	}

	/**
	 * The state to decide `batch` on. Reservations the batch refers to that are not in memory are looked
	 * up, except those of first-time reserves (`unproven`): a new order is the hot path, and its absence
	 * is proven by the reservation INSERT's unique key instead of a lookup. If one did exist, the INSERT
	 * fails, and the batch is redone with lookups (a retried command is always looked up); a reserve
	 * refused without proof is looked up before it is answered.
	 */
	private async load(batch: readonly Pending[]): Promise<{ state: ActorState; unproven: Set<string> }> {
		if (!this.state) {
			// A SKU known to have more reservations than the cache holds is not read in full again (they
			// would be trimmed at the next batch): after a lost fence only its stock row is read.
			const [stock, known] = await Promise.all([
				this.repository.findStock(this.sku),
				this.overflowed
					? { reservations: [], complete: false }
					: this.repository.findReservationsOfSku(this.sku, this.options.reservationCacheLimit),
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
			for (const { command, fenceRetries } of batch) {
				const id = reservationIdOfCommand(command);
				if (!id || state.reservations.has(id)) continue;
				// The index, when there is one, proves most absences without a query.
				if (this.reservedOrders.certainlyAbsent(id)) continue;
				if (command.kind === "reserve" && fenceRetries === 0) unproven.add(id);
				else unknown.add(id);
			}
			await this.lookUp(state, [...unknown]);
		}
		return { state, unproven };
	}

	/** Adds the stored reservations among `ids` to the state; returns how many were found. */
	private async lookUp(state: ActorState, ids: string[]): Promise<number> {
		if (ids.length === 0) return 0;
		const found = await this.repository.findReservations(ids);
		for (const r of found) state.reservations.set(r.reservationId, r);
		return found.length;
	}

	private track(command: InventoryCommand, delta: 1 | -1): void {
		const id = reservationIdOfCommand(command);
		if (!id) return;
		const next = (this.pendingIds.get(id) ?? 0) + delta;
		if (next > 0) this.pendingIds.set(id, next);
		else this.pendingIds.delete(id);
	}
}
