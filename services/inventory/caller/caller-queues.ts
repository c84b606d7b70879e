/**
 * What a calling node holds back for inventory: the reserves its batching middleware keeps per SKU
 * until a group slot to the owner frees (inventory-batching.middleware.ts). Under load they wait here,
 * before the owner's actor sees them, so `hot` reads them from every node beside the actors' own queues.
 */
export interface CallerLane {
	/** Reserves waiting to leave in a group, oldest first, with when each caller called (epoch ms). */
	waiting: readonly { arrivedAt: number }[];
	/** Groups sent to the owner and not answered yet. */
	inFlight: number;
}

export interface SkuCallerQueue {
	sku: string;
	waiting: number;
	groupsInFlight: number;
	oldestWaitMs: number;
}

export interface CallerQueues {
	nodeID: string;
	/** SKUs with reserves waiting or groups out. */
	skus: number;
	waiting: number;
	groupsInFlight: number;
	oldestWaitMs: number;
	/** The SKUs with the most waiting reserves (then the oldest wait), at most `limit`. */
	busiest: SkuCallerQueue[];
}

export function callerQueuesOf(
	nodeID: string,
	lanes: ReadonlyMap<string, CallerLane>,
	limit: number,
	now = Date.now(),
): CallerQueues {
	const all: SkuCallerQueue[] = [];
	for (const [sku, lane] of lanes) {
		const oldest = lane.waiting[0];
		all.push({
			sku,
			waiting: lane.waiting.length,
			groupsInFlight: lane.inFlight,
			oldestWaitMs: oldest === undefined ? 0 : Math.max(0, now - oldest.arrivedAt),
		});
	}
	all.sort((a, b) => b.waiting - a.waiting || b.oldestWaitMs - a.oldestWaitMs);
	return {
		nodeID,
		skus: all.length,
		waiting: all.reduce((n, q) => n + q.waiting, 0),
		groupsInFlight: all.reduce((n, q) => n + q.groupsInFlight, 0),
		oldestWaitMs: all.reduce((ms, q) => Math.max(ms, q.oldestWaitMs), 0),
		busiest: all.slice(0, limit),
	};
}

/** The internal service every node with the batching middleware runs, for `hot`. */
export const CALLER_QUEUES_ACTION = "$inventoryCallers.queues";
