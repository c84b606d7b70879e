import type { MetricDefinition } from "../../mixins/metrics.mixin";

export const METRIC = {
	reservations: "shop_inventory_reservations_total",
	batchSize: "shop_inventory_batch_size",
	batchDuration: "shop_inventory_batch_duration_ms",
	batchPhase: "shop_inventory_batch_phase_ms",
	fenceConflicts: "shop_inventory_fence_conflicts_total",
	duplicateReservations: "shop_inventory_duplicate_reservations_total",
	staleStates: "shop_inventory_stale_states_total",
	batchFailures: "shop_inventory_batch_failures_total",
	soldOutRejects: "shop_inventory_sold_out_rejects_total",
	mailboxDepth: "shop_inventory_mailbox_depth",
	actors: "shop_inventory_actors",
	expired: "shop_inventory_expired_total",
	sweeps: "shop_inventory_sweeps_total",
	sweepDuration: "shop_inventory_sweep_duration_ms",
	sagaEvents: "shop_inventory_saga_events_total",
	sagaSettleConflicts: "shop_inventory_saga_settle_conflicts_total",
	sagaUnsettled: "shop_inventory_saga_unsettled_holds",
} as const;

/**
 * `result` of a reserve that succeeded: a new reservation, or the one already stored for that order
 * (an idempotent replay: a client's retry, a redelivered event). Failures are the error type, lower-cased.
 */
export const RESERVE_RESULT = { reserved: "reserved", replayed: "replayed" } as const;

const RESERVE_FAILURES = ["insufficient_stock", "sku_not_found", "queue_full", "inventory_unavailable"];

export const inventoryMetrics: MetricDefinition[] = [
	{
		type: "counter",
		name: METRIC.reservations,
		description:
			"Reserve requests by result (reserved, replayed, insufficient_stock, sku_not_found, queue_full, inventory_unavailable)",
		labelNames: ["result"],
		zeroSeries: () => [...Object.values(RESERVE_RESULT), ...RESERVE_FAILURES].map((result) => ({ result })),
	},
	{
		type: "histogram",
		name: METRIC.batchSize,
		description: "Commands decided and committed per actor batch",
		buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
	},
	{
		type: "histogram",
		name: METRIC.batchDuration,
		description: "Time from a batch's start to its commit, ms",
		buckets: [1, 2, 5, 10, 20, 50, 100, 250, 500, 1000],
	},
	{
		type: "histogram",
		name: METRIC.batchPhase,
		description:
			"Where a committed batch's time went, ms: prepare (load, lookups, decide), write (a connection, BEGIN and the new rows), wait_previous (the batch before it committing), commit (fenced writes and COMMIT)",
		labelNames: ["phase"],
		buckets: [0.5, 1, 2, 5, 10, 20, 50, 100, 250, 500, 1000],
	},
	{ type: "counter", name: METRIC.fenceConflicts, description: "Batches that lost the version fence and were redone" },
	{
		type: "counter",
		name: METRIC.duplicateReservations,
		description:
			"Batches redone because a reservation inserted as new was already stored (a repeated order no longer in the actor's memory)",
	},
	{
		type: "counter",
		name: METRIC.staleStates,
		description: "Actor states a check of the stock row found changed by another writer (forgotten and read again)",
	},
	{ type: "counter", name: METRIC.batchFailures, description: "Batches that could not be committed (answered 503)" },
	{ type: "counter", name: METRIC.soldOutRejects, description: "Reserves rejected from memory on sold-out SKUs" },
	{ type: "gauge", name: METRIC.mailboxDepth, description: "Commands queued across this node's actors" },
	{ type: "gauge", name: METRIC.actors, description: "SKU actors live on this node" },
	{ type: "counter", name: METRIC.expired, description: "Reservations released by the expiry sweep" },
	{ type: "counter", name: METRIC.sweeps, description: "Expiry sweeps run" },
	{
		type: "histogram",
		name: METRIC.sweepDuration,
		description: "Duration of an expiry sweep, ms",
		buckets: [1, 10, 50, 100, 500, 1000, 5000],
	},
	{
		type: "counter",
		name: METRIC.sagaEvents,
		description:
			"Checkout saga events handled, by topic and outcome (reserved, failed, released, confirmed, duplicate...)",
		labelNames: ["topic", "outcome"],
	},
	{
		type: "counter",
		name: METRIC.sagaSettleConflicts,
		description: "Order lines whose reservation could not follow the order (e.g. paid after it expired)",
	},
	{
		type: "gauge",
		name: METRIC.sagaUnsettled,
		description: "Saga orders whose lines lagged behind the recorded decision at the last sweep (up to 100)",
	},
];
