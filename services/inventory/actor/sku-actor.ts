import { InventoryUnavailableError, QueueFullError } from "../inventory.errors";
import { DuplicateReservationError, FenceLostError } from "../storage/commit-errors";
import type { CommitTimings, InventoryRepository } from "../storage/inventory.repository";
import { decideBatch } from "./batch-decider";
import type { CommandResult, InventoryCommand } from "./inventory-commands";
import { LOADED, SkuKnowledge } from "./sku-knowledge";
import { SoldOutRefusals } from "./sold-out-refusals";

export interface ActorOptions {
	/** Commands decided and committed together at most. */
	maxBatch: number;
	/** Queued commands beyond which callers get QUEUE_FULL at once. */
	mailboxDepth: number;
	reservationTtlMs: number;
	/** Reservations of one SKU kept in memory; beyond it the actor looks them up per batch. */
	reservationCacheLimit: number;
	/**
	 * Reload-and-decide-again attempts per command after a lost fence or a reservation found already
	 * stored (storage/commit-errors.ts) before it fails (retryably).
	 */
	maxFenceRetries: number;
}

/** What an actor reports; the service turns it into metrics. */
export interface ActorObserver {
	/** `phases.prepareMs`: loading, lookups and deciding, before the transaction began. */
	batchCommitted(size: number, durationMs: number, phases: CommitTimings & { prepareMs: number }): void;
	fenceLost(sku: string): void;
	/** A reservation the batch inserted as new was already stored (a repeated order): redone with lookups. */
	duplicateReservation(sku: string): void;
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
	/** Batches of this command redone so far (a lost fence, a reservation already stored). */
	retries: number;
	/** When it was queued (epoch ms), for the oldest wait operators read. */
	arrivedAt: number;
}

/**
 * Batches in flight per actor, and the pipelining contract every part of a batch's commit follows
 * (storage/inventory.repository.ts, storage/mariadb-batch-commit.ts, storage/batch-statements.ts and
 * API_DOCS.md point here):
 * - batch k+1 is decided on top of batch k's result before k has committed (the state it is decided
 *   on ends with k's decision: SkuState.decidedBy in sku-knowledge.ts);
 * - it writes its new reservation rows while k commits: they cannot collide with k's rows, which its
 *   decision already knew;
 * - only after k committed (the very decision it was built on) does it change statuses, which may touch
 *   rows k writes, and take the stock row's fence; if k did not commit, k+1 rolls back
 *   (PreviousBatchFailedError) and goes back into the mailbox, to be decided again on state read afresh;
 * - its callers are answered after its own commit, so no answer ever depends on uncommitted work.
 * On SQLite, whose writers take turns, batch k+1's transaction simply starts after k's: nothing overlaps.
 * Why two slots (the batch phases measured, and a third slot or an earlier fence that were no faster):
 * bench/RESULTS.md.
 */
const PIPELINE_DEPTH = 2;

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
 * behind the stock row's version fence, PIPELINE_DEPTH batches at a time. Callers are answered only
 * after the commit. What it knows of the SKU is SkuKnowledge's (sku-knowledge.ts); which reserves it
 * refuses without a batch, SoldOutRefusals' (sold-out-refusals.ts).
 */
export class SkuActor {
	private readonly mailbox: Pending[] = [];
	/**
	 * Commands not answered yet, queued or in a batch being decided or committed, in arrival order. The
	 * mailbox alone reads ~0 under load: the pipeline takes each command into a batch almost at once.
	 */
	private readonly unanswered = new Set<Pending>();
	private readonly knowledge: SkuKnowledge;
	private readonly refusals: SoldOutRefusals;
	/** Wakes a drain loop that waits with a free pipeline slot and an empty mailbox. */
	private wake: (() => void) | undefined;
	private running = false;
	private batchesInFlight = 0;
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
		const limits = { reservationCacheLimit: options.reservationCacheLimit, decisionsInFlight: PIPELINE_DEPTH };
		this.knowledge = new SkuKnowledge(sku, repository, limits, () => {
			this.observer.staleStateFound(this.sku);
			this.forget();
		});
		this.refusals = new SoldOutRefusals(sku, this.knowledge);
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

	/** Batches decided since the actor was created (a redone batch counts again). */
	get batchesDecided(): number {
		return this.decisionSeq;
	}

	/** Commands queued since the actor was created. */
	get commandsArrived(): number {
		return this.arrivals;
	}

	submit(command: InventoryCommand): Promise<CommandResult> {
		this.lastActiveAt = Date.now();
		this.knowledge.checkIfDue(this.lastActiveAt);
		const soldOut = this.refusals.refusalOf(command, this.batchesInFlight);
		if (soldOut) {
			this.observer.soldOutRejected();
			return Promise.reject(soldOut);
		}
		if (this.mailbox.length >= this.options.mailboxDepth) {
			return Promise.reject(new QueueFullError(this.sku));
		}
		return new Promise<CommandResult>((resolve, reject) => {
			const pending = { command, resolve, reject, seq: ++this.arrivals, retries: 0, arrivedAt: this.lastActiveAt };
			this.mailbox.push(pending);
			this.unanswered.add(pending);
			this.refusals.queued(command);
			this.wake?.();
			if (!this.running) {
				// Started on the next microtask, not now: the other commands submitted in this same turn
				// (the rest of a reserveBatch call) then join the first batch instead of waiting behind it.
				this.running = true;
				queueMicrotask(() => void this.drain());
			}
		});
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
	 * fence, met a reservation already stored, or whose predecessor failed goes back into the mailbox
	 * to be decided again on state read afresh; anything else fails its callers (retryably).
	 */
	private async decideAndCommit(
		batch: Pending[],
		previous: Promise<number | null>,
		markDecided: () => void,
	): Promise<number | null> {
		const started = performance.now();
		let settled: () => void = () => undefined;
		try {
			// A state that has to be read again must include everything the batches before committed; if
			// the batch before failed, its commands go first (they are back in the mailbox), so this waits too.
			if (!this.knowledge.hasState && (await previous) === null) {
				this.recovering = true;
				this.requeue(batch);
				return null;
			}
			const commands = batch.map((p) => p.command);
			const { state, unproven } = await this.knowledge.load(batch);
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
			if (refused.length > 0 && (await this.knowledge.lookUp(state, refused)) > 0) decision = decide();
			const basedOn = state.decidedBy;
			const previousVersion = state.stock?.version ?? 0;
			const seq = ++this.decisionSeq;
			this.knowledge.applyDecision(state, decision, seq);
			settled = this.refusals.batchDecided(decision.stock);
			markDecided();

			const prepareMs = performance.now() - started;
			const timings = await this.repository.commit(previousVersion, decision, now, async () => {
				if (basedOn === LOADED) return;
				if ((await previous) !== basedOn) throw new PreviousBatchFailedError(this.sku);
			});

			this.knowledge.remember(decision.stock);
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
			} else if (err instanceof FenceLostError || err instanceof DuplicateReservationError) {
				if (err instanceof FenceLostError) this.observer.fenceLost(this.sku);
				else this.observer.duplicateReservation(this.sku);
				const again = batch.filter((p) => ++p.retries <= this.options.maxFenceRetries);
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
			settled();
		}
	}

	/** What the actor holds may be stale: it is read again once the batches in flight have settled. */
	private forget(): void {
		this.knowledge.forget();
		this.recovering = true;
	}

	/** Puts commands back in the mailbox at their place in arrival order. */
	private requeue(batch: Pending[]): void {
		if (batch.length === 0) return;
		this.mailbox.unshift(...batch);
		this.mailbox.sort((a, b) => a.seq - b.seq);
	}

	private answer(pending: Pending, value: CommandResult): void {
		this.unanswered.delete(pending);
		this.refusals.answered(pending.command);
		pending.resolve(value);
	}

	private fail(pending: Pending, err: Error): void {
		this.unanswered.delete(pending);
		this.refusals.answered(pending.command);
		pending.reject(err);
	}
}
