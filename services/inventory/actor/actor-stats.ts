import type { ActorRegistry } from "./actor-registry";
import type { SkuActor } from "./sku-actor";

/** One SKU's actor as an operator reads it (REPL `hot`). */
export interface ActorReading {
	sku: string;
	/** Commands waiting for their answer: queued, or in a batch not committed yet. */
	waiting: number;
	/** Of those, still in the mailbox (not in a batch yet). */
	queued: number;
	oldestWaitMs: number;
	/** Over the sample window; null without one. */
	batchesPerS: number | null;
	commandsPerS: number | null;
	idle: boolean;
	lastActiveAt: number;
}

/** A node's actors: totals, and the busiest ones. */
export interface NodeActorStats {
	actors: number;
	waiting: number;
	queued: number;
	oldestWaitMs: number;
	batchesPerS: number | null;
	commandsPerS: number | null;
	sampleMs: number;
	busiest: ActorReading[];
}

interface Counts {
	batches: number;
	commands: number;
}

const countsOf = (actor: SkuActor): Counts => ({ batches: actor.batchesDecided, commands: actor.commandsArrived });

const perSecond = (delta: number, ms: number) => Math.round((delta * 10_000) / ms) / 10;

/**
 * Reads the node's actors; with `sampleMs` > 0, reads their counters twice that far apart to give
 * batch and command rates. Keyed by actor, not SKU: an actor evicted and created again in between
 * counts from 0 (as does one created in between), never negative.
 */
export async function readActorStats(actors: ActorRegistry, limit: number, sampleMs: number): Promise<NodeActorStats> {
	const before = new Map<SkuActor, Counts>();
	if (sampleMs > 0) {
		for (const actor of actors.live()) before.set(actor, countsOf(actor));
		await new Promise((resolve) => setTimeout(resolve, sampleMs));
	}
	const now = Date.now();
	const totals = { waiting: 0, queued: 0, oldestWaitMs: 0, batches: 0, commands: 0 };
	const readings = actors.live().map((actor): ActorReading => {
		const start = before.get(actor) ?? { batches: 0, commands: 0 };
		const end = countsOf(actor);
		const reading = {
			sku: actor.sku,
			waiting: actor.waiting,
			queued: actor.depth,
			oldestWaitMs: actor.oldestWaitMs(now),
			batchesPerS: sampleMs > 0 ? perSecond(end.batches - start.batches, sampleMs) : null,
			commandsPerS: sampleMs > 0 ? perSecond(end.commands - start.commands, sampleMs) : null,
			idle: actor.idle,
			lastActiveAt: actor.lastActiveAt,
		};
		totals.waiting += reading.waiting;
		totals.queued += reading.queued;
		totals.oldestWaitMs = Math.max(totals.oldestWaitMs, reading.oldestWaitMs);
		totals.batches += end.batches - start.batches;
		totals.commands += end.commands - start.commands;
		return reading;
	});
	return {
		actors: readings.length,
		waiting: totals.waiting,
		queued: totals.queued,
		oldestWaitMs: totals.oldestWaitMs,
		batchesPerS: sampleMs > 0 ? perSecond(totals.batches, sampleMs) : null,
		commandsPerS: sampleMs > 0 ? perSecond(totals.commands, sampleMs) : null,
		sampleMs,
		busiest: readings
			.sort(
				(a, b) =>
					b.waiting - a.waiting || (b.commandsPerS ?? 0) - (a.commandsPerS ?? 0) || b.lastActiveAt - a.lastActiveAt,
			)
			.slice(0, limit),
	};
}
