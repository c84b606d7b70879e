import type { InventoryRepository } from "../storage/inventory.repository";
import { type ActorObserver, type ActorOptions, SkuActor } from "./sku-actor";

export interface RegistryOptions extends ActorOptions {
	/** An actor idle this long is dropped (its state is reloaded from the database on next use). */
	idleEvictMs: number;
	/** At most this many actors; beyond it the least recently used idle ones go first. */
	maxActors: number;
}

/** The actors of the SKUs this node has been asked about, with idle eviction to bound memory. */
export class ActorRegistry {
	private readonly actors = new Map<string, SkuActor>();

	constructor(
		private readonly repository: InventoryRepository,
		private readonly options: RegistryOptions,
		private readonly observer: ActorObserver,
	) {}

	actorFor(sku: string): SkuActor {
		let actor = this.actors.get(sku);
		if (!actor) {
			// The cap holds at every moment, not only at the periodic eviction: a burst over many SKUs (a
			// catalogue import, a crawler) makes room by dropping the least recently used idle actors, a tenth
			// of the cap at a time so that the sort is paid once per many new actors.
			if (this.actors.size >= this.options.maxActors) this.shrinkTo(Math.floor(this.options.maxActors * 0.9));
			actor = new SkuActor(sku, this.repository, this.options, this.observer);
			this.actors.set(sku, actor);
		}
		return actor;
	}

	get size(): number {
		return this.actors.size;
	}

	/** Commands queued across all actors. */
	mailboxDepth(): number {
		let depth = 0;
		for (const actor of this.actors.values()) depth += actor.depth;
		return depth;
	}

	/** Drops idle actors past the idle time, then the oldest idle ones while over the cap. */
	evict(now = Date.now()): number {
		let evicted = 0;
		for (const [sku, actor] of this.actors) {
			if (actor.idle && now - actor.lastActiveAt >= this.options.idleEvictMs) {
				this.actors.delete(sku);
				evicted++;
			}
		}
		return evicted + this.shrinkTo(this.options.maxActors);
	}

	/**
	 * Drops the least recently used idle actors until at most `target` are left (busy ones stay: their
	 * state is in flight). An evicted SKU's next command reads its state from the database again.
	 */
	private shrinkTo(target: number): number {
		if (this.actors.size <= target) return 0;
		const idle = [...this.actors.entries()]
			.filter(([, a]) => a.idle)
			.sort(([, a], [, b]) => a.lastActiveAt - b.lastActiveAt);
		const drop = idle.slice(0, this.actors.size - target);
		for (const [sku] of drop) this.actors.delete(sku);
		return drop.length;
	}

	/** The live actors, for operators' read-outs (actor-stats.ts). */
	live(): SkuActor[] {
		return [...this.actors.values()];
	}

	/** Resolves once every actor has finished its queued work (graceful stop). */
	async drained(timeoutMs: number): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while ([...this.actors.values()].some((a) => !a.idle) && Date.now() < deadline) {
			await new Promise((r) => setTimeout(r, 20));
		}
	}
}
