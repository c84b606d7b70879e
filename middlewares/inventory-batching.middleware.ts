import type { CallingOptions, Middleware, ServiceBroker } from "moleculer";
import {
	RESERVE_ACTION,
	RESERVE_BATCH_ACTION,
	type ReserveBatchOutcome,
	reviveError,
} from "../services/inventory/reserve-batch";

interface Waiting {
	orderId: unknown;
	quantity: unknown;
	resolve(value: unknown): void;
	reject(err: Error): void;
}

type Call = (action: string, params?: unknown, opts?: CallingOptions) => Promise<unknown>;

/**
 * Caller side of the inventory's transport batching. Every `inventory.reserve` call made on this
 * node in the same event-loop turn is grouped by SKU and sent as ONE `inventory.reserveBatch` call
 * (routed to the SKU's owner like a single reserve), whose per-item outcomes answer each caller
 * as if it had called alone: same result, same error type. Under load a hot SKU then costs one
 * transport round trip per group instead of one per reservation; alone, a call waits one
 * setImmediate. Calls pinned to a node, or without a string SKU, go through unchanged.
 */
export function InventoryBatchingMiddleware(options: { enabled: boolean; maxBatch: number }): Middleware {
	let broker: ServiceBroker;
	const waiting = new Map<string, Waiting[]>();
	let flushScheduled = false;

	const send = (sku: string, group: Waiting[]) => {
		const items = group.map((w) => ({ orderId: w.orderId, quantity: w.quantity }));
		(broker.call(RESERVE_BATCH_ACTION, { sku, items }) as Promise<ReserveBatchOutcome[]>).then(
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
		);
	};

	const flush = () => {
		flushScheduled = false;
		const groups = [...waiting];
		waiting.clear();
		for (const [sku, group] of groups) {
			for (let i = 0; i < group.length; i += options.maxBatch) send(sku, group.slice(i, i + options.maxBatch));
		}
	};

	return {
		name: "InventoryBatching",
		created(b: ServiceBroker) {
			broker = b;
		},
		call(next: Call): Call {
			if (!options.enabled) return next;
			return (action, params, opts) => {
				const sku = (params as { sku?: unknown } | undefined)?.sku;
				if (action !== RESERVE_ACTION || typeof sku !== "string" || opts?.nodeID) return next(action, params, opts);
				const { orderId, quantity } = params as { orderId?: unknown; quantity?: unknown };
				return new Promise((resolve, reject) => {
					let group = waiting.get(sku);
					if (!group) {
						group = [];
						waiting.set(sku, group);
					}
					group.push({ orderId, quantity, resolve, reject });
					if (!flushScheduled) {
						flushScheduled = true;
						setImmediate(flush);
					}
				});
			};
		},
	} as unknown as Middleware;
}
