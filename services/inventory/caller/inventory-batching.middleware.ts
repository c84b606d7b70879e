import type { CallingOptions, Middleware, ServiceBroker } from "moleculer";
import { gatherAtPhaseEnd } from "../../../lib/cluster/end-of-phase";
import { CALLER_QUEUES_ACTION, callerQueuesOf } from "./caller-queues";
import { ownerLossAsUnavailable } from "./owner-loss";
import { RESERVE_ACTION, RESERVE_BATCH_ACTION, type ReserveBatchOutcome, reviveError } from "./reserve-batch";
import { skuRoutedActionName } from "./sku-affinity.strategy";

interface Waiting {
	orderId: unknown;
	quantity: unknown;
	/** When the caller called (epoch ms), for the oldest wait `hot` shows. */
	arrivedAt: number;
	resolve(value: unknown): void;
	reject(err: Error): void;
}

/** `action` is a name, or an endpoint object that moleculer-web resolved itself. */
type Call = (action: unknown, params?: unknown, opts?: CallingOptions) => Promise<unknown>;

/**
 * Grouped calls of one SKU in flight at once from this node. While they are out, new reserves of
 * the SKU wait and leave together when a slot frees (as Nagle's algorithm does for TCP): idle, a
 * reserve waits for the end of the event loop's I/O phase; under load the groups grow to what arrives
 * during a round trip.
 * Two, not one, so the owner's actor finds the next group queued while it commits the previous one.
 */
const GROUPS_IN_FLIGHT_PER_SKU = 2;

interface Lane {
	waiting: Waiting[];
	inFlight: number;
}

/**
 * Caller side of the inventory's transport batching. `inventory.reserve` calls made on this node are
 * grouped by SKU and sent as ONE `inventory.reserveBatch` call (routed to the SKU's owner like a
 * single reserve), whose per-item outcomes answer each caller as if it had called alone: same
 * result, same error type. A group leaves at the end of the I/O phase (lib/cluster/end-of-phase.ts:
 * gathered before that phase's transport write, so it goes out in it) when the SKU has a free slot
 * (GROUPS_IN_FLIGHT_PER_SKU), else when a slot frees, so under load a hot SKU costs one transport
 * round trip per group instead of one per reservation. Calls pinned to a node, or without a string
 * SKU, go through unchanged. It also re-routes SKU-routed calls made with a pre-resolved endpoint
 * (see skuRoutedActionName), and answers a SKU's call whose owner was lost with the inventory's
 * documented INVENTORY_UNAVAILABLE (see owner-loss.ts), batched or not.
 */
export function InventoryBatchingMiddleware(options: { enabled: boolean; maxBatch: number }): Middleware {
	let broker: ServiceBroker;
	const lanes = new Map<string, Lane>();
	let flushScheduled = false;

	const send = (sku: string, lane: Lane, size: number) => {
		const group = lane.waiting.splice(0, Math.min(size, options.maxBatch));
		lane.inFlight++;
		const items = group.map((w) => ({ orderId: w.orderId, quantity: w.quantity }));
		(broker.call(RESERVE_BATCH_ACTION, { sku, items }) as Promise<ReserveBatchOutcome[]>)
			.then(
				(outcomes) => {
					group.forEach((w, i) => {
						const outcome = outcomes[i];
						if (outcome?.ok) w.resolve(outcome.value);
						else if (outcome) w.reject(reviveError(outcome.error));
						else w.reject(new Error("reserveBatch returned fewer outcomes than items"));
					});
				},
				(err: Error) => {
					for (const w of group) w.reject(err);
				},
			)
			.finally(() => {
				lane.inFlight--;
				// Not at once: the callers just answered usually call again right away (a closed loop, a
				// flash sale); at the end of this I/O phase they leave in this group instead of the one after,
				// so groups stay even rather than alternating between everything and almost nothing.
				scheduleFlush();
			});
	};

	const flush = () => {
		flushScheduled = false;
		for (const [sku, lane] of lanes) {
			// With both slots free, the waiting calls are split between them: the owner then commits one
			// group while the other's callers are on their way back, instead of everyone waiting for one.
			const free = GROUPS_IN_FLIGHT_PER_SKU - lane.inFlight;
			const size = Math.ceil(lane.waiting.length / Math.max(1, free));
			while (lane.waiting.length > 0 && lane.inFlight < GROUPS_IN_FLIGHT_PER_SKU) send(sku, lane, size);
			if (lane.waiting.length === 0 && lane.inFlight === 0) lanes.delete(sku);
		}
	};

	const scheduleFlush = () => {
		if (flushScheduled) return;
		flushScheduled = true;
		gatherAtPhaseEnd(flush);
	};

	const enqueue = (sku: string, waiting: Waiting) => {
		let lane = lanes.get(sku);
		if (!lane) {
			lane = { waiting: [], inFlight: 0 };
			lanes.set(sku, lane);
		}
		lane.waiting.push(waiting);
		if (lane.inFlight < GROUPS_IN_FLIGHT_PER_SKU) scheduleFlush();
	};

	return {
		name: "InventoryBatching",
		created(b: ServiceBroker) {
			broker = b;
			// What this node holds back, for the REPL's `hot` (lib/repl/operator-commands.ts).
			const [service, action] = CALLER_QUEUES_ACTION.split(".") as [string, string];
			broker.createService({
				name: service,
				actions: {
					[action]: {
						visibility: "public",
						params: { limit: { type: "number", integer: true, positive: true, max: 1000, default: 10 } },
						handler: (ctx: { params: { limit: number } }) => callerQueuesOf(broker.nodeID, lanes, ctx.params.limit),
					},
				},
			});
		},
		call(next: Call): Call {
			return (given, params, opts) => {
				// An endpoint chosen without the params (by moleculer-web) is chosen again, by SKU.
				const action = (!opts?.nodeID && skuRoutedActionName(given)) || given;
				const sku = (params as { sku?: unknown } | undefined)?.sku;
				if (typeof sku === "string" && isInventoryAction(action)) {
					return viaOwner(next, action, params, opts, sku).catch((err: unknown) => {
						throw ownerLossAsUnavailable(err, sku);
					});
				}
				return next(action, params, opts);
			};
		},
	} as unknown as Middleware;

	/** A SKU's call: grouped with others of its SKU when it is a reserve, else sent as it is. */
	function viaOwner(next: Call, action: unknown, params: unknown, opts: CallingOptions | undefined, sku: string) {
		if (!options.enabled || action !== RESERVE_ACTION || opts?.nodeID) {
			return next(action, params, opts);
		}
		const { orderId, quantity } = params as { orderId?: unknown; quantity?: unknown };
		return new Promise((resolve, reject) =>
			enqueue(sku, { orderId, quantity, arrivedAt: Date.now(), resolve, reject }),
		);
	}
}

/** `inventory.*`, called by name or through an endpoint moleculer-web resolved. */
function isInventoryAction(action: unknown): boolean {
	const name = typeof action === "string" ? action : (action as { action?: { name?: unknown } } | null)?.action?.name;
	return typeof name === "string" && name.startsWith("inventory.");
}
