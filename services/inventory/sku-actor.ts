import { decideBatch } from "./batch-decider";
import { InsufficientStockError, InventoryUnavailableError, QueueFullError } from "./inventory.errors";
import { FenceLostError, type InventoryRepository } from "./inventory.repository";
import { type CommandResult, type InventoryCommand, reservationIdOfCommand } from "./inventory-commands";
import type { Reservation, Stock } from "./reservation";

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
	batchCommitted(size: number, durationMs: number): void;
	fenceLost(sku: string): void;
	soldOutRejected(): void;
	batchFailed(sku: string, err: Error): void;
}

interface Pending {
	command: InventoryCommand;
	resolve(value: CommandResult): void;
	reject(err: Error): void;
}

interface ActorState {
	stock: Stock | null;
	reservations: Map<string, Reservation>;
	/** True when `reservations` holds every reservation of the SKU (absence then means "none"). */
	complete: boolean;
}

/**
 * The single writer of one SKU on this node. Commands queue in a bounded mailbox; one worker drains
 * it in batches, decides each batch in memory in arrival order and commits it in one transaction
 * behind the stock row's version fence. Callers are answered only after the commit.
 */
export class SkuActor {
	private readonly mailbox: Pending[] = [];
	/** Reservation ids with a command queued or in flight: never fast-rejected (their outcome is pending). */
	private readonly pendingIds = new Map<string, number>();
	private state: ActorState | null = null;
	private running = false;
	lastActiveAt = Date.now();

	constructor(
		readonly sku: string,
		private readonly repository: InventoryRepository,
		private readonly options: ActorOptions,
		private readonly observer: ActorObserver,
	) {}

	get depth(): number {
		return this.mailbox.length;
	}

	get idle(): boolean {
		return !this.running && this.mailbox.length === 0;
	}

	submit(command: InventoryCommand): Promise<CommandResult> {
		this.lastActiveAt = Date.now();
		const soldOut = this.soldOutRejection(command);
		if (soldOut) {
			this.observer.soldOutRejected();
			return Promise.reject(soldOut);
		}
		if (this.mailbox.length >= this.options.mailboxDepth) {
			return Promise.reject(new QueueFullError(this.sku));
		}
		return new Promise<CommandResult>((resolve, reject) => {
			this.mailbox.push({ command, resolve, reject });
			this.track(command, +1);
			if (!this.running) void this.drain();
		});
	}

	/**
	 * A reserve on a sold-out SKU is answered from memory, without a database round trip, when the
	 * actor knows every reservation of the SKU and this order has none (nor one in flight).
	 */
	private soldOutRejection(command: InventoryCommand): Error | undefined {
		if (command.kind !== "reserve") return undefined;
		const state = this.state;
		if (!state?.stock || !state.complete || state.stock.available > 0) return undefined;
		if (state.reservations.has(command.reservationId) || this.pendingIds.has(command.reservationId)) return undefined;
		return new InsufficientStockError(this.sku, command.quantity, 0);
	}

	private async drain(): Promise<void> {
		this.running = true;
		try {
			while (this.mailbox.length > 0) {
				const batch = this.mailbox.splice(0, this.options.maxBatch);
				await this.process(batch);
				for (const pending of batch) this.track(pending.command, -1);
			}
		} finally {
			this.running = false;
			this.lastActiveAt = Date.now();
		}
	}

	private async process(batch: Pending[]): Promise<void> {
		const commands = batch.map((p) => p.command);
		const started = performance.now();
		for (let attempt = 0; ; attempt++) {
			try {
				const state = await this.load(commands);
				const now = Date.now();
				const decision = decideBatch(
					{
						sku: this.sku,
						stock: state.stock,
						reservations: state.reservations,
						now,
						reservationTtlMs: this.options.reservationTtlMs,
					},
					commands,
				);
				await this.repository.commit(state.stock?.version ?? 0, decision, now);

				state.stock = decision.stock;
				for (const r of decision.write.inserted) state.reservations.set(r.reservationId, r);
				for (const r of decision.write.updated) state.reservations.set(r.reservationId, r);
				if (state.reservations.size > this.options.reservationCacheLimit) {
					state.reservations.clear();
					state.complete = false;
				}
				this.observer.batchCommitted(batch.length, performance.now() - started);
				decision.outcomes.forEach((outcome, i) => {
					const pending = batch[i] as Pending;
					if (outcome.ok) pending.resolve(outcome.value);
					else pending.reject(outcome.error);
				});
				return;
			} catch (err) {
				// Whatever happened, what we hold may be stale now: read it again next time.
				this.state = null;
				if (err instanceof FenceLostError && attempt < this.options.maxFenceRetries) {
					this.observer.fenceLost(this.sku);
					continue;
				}
				this.observer.batchFailed(this.sku, err as Error);
				const failure = new InventoryUnavailableError(
					this.sku,
					err instanceof FenceLostError ? "contention" : "storage",
				);
				for (const pending of batch) pending.reject(failure);
				return;
			}
		}
	}

	/** The committed state, plus every reservation the batch refers to. */
	private async load(commands: readonly InventoryCommand[]): Promise<ActorState> {
		if (!this.state) {
			const [stock, known] = await Promise.all([
				this.repository.findStock(this.sku),
				this.repository.findReservationsOfSku(this.sku, this.options.reservationCacheLimit),
			]);
			this.state = {
				stock,
				reservations: new Map(known.reservations.map((r) => [r.reservationId, r])),
				complete: known.complete,
			};
		}
		const state = this.state;
		if (!state.complete) {
			const unknown = new Set<string>();
			for (const command of commands) {
				const id = reservationIdOfCommand(command);
				if (id && !state.reservations.has(id)) unknown.add(id);
			}
			for (const r of await this.repository.findReservations([...unknown])) state.reservations.set(r.reservationId, r);
		}
		return state;
	}

	private track(command: InventoryCommand, delta: 1 | -1): void {
		const id = reservationIdOfCommand(command);
		if (!id) return;
		const next = (this.pendingIds.get(id) ?? 0) + delta;
		if (next > 0) this.pendingIds.set(id, next);
		else this.pendingIds.delete(id);
	}
}
