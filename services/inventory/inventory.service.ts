import { type Context, Errors, type ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { defineService } from "../../lib/define-schema";
import type { OrderCreatedPayload, OrderLine } from "../../lib/events/checkout-topics";
import { DbMixin } from "../../mixins/db.mixin";
import { type DedupMethods, DedupMixin, dedupMetrics } from "../../mixins/dedup.mixin";
import { type MetricsMethods, MetricsMixin } from "../../mixins/metrics.mixin";
import { type OutboxMethods, OutboxMixin, outboxMetrics } from "../../mixins/outbox.mixin";
import { ActorRegistry } from "./actor/actor-registry";
import { readActorStats } from "./actor/actor-stats";
import type { InventoryCommand } from "./actor/inventory-commands";
import { errorOutcome, type ReserveBatchItem, type ReserveBatchOutcome } from "./caller/reserve-batch";
import { SKU_AFFINITY } from "./caller/sku-affinity.strategy";
import { InventoryValidationError, OrderHoldNotFoundError, SkuNotFoundError } from "./inventory.errors";
import { inventoryMetrics, METRIC, RESERVE_RESULT } from "./inventory.metrics";
import {
	expireParams,
	getStockParams,
	orderIdParam,
	reservationRefParams,
	reserveBatchParams,
	reserveParams,
	setStockParams,
} from "./inventory.params";
import { inventoryMigrations } from "./migrations";
import { isReplay, type ReservationView, reservationIdOf, type StockView, stockView } from "./reservation";
import { OrderHoldsRepository } from "./saga/order-holds.repository";
import { brokerOrderLines, ORDER_CREATED_SCHEMA, orderLinesOf } from "./saga/order-lines";
import { OrderSaga } from "./saga/order-saga";
import { sagaChannels } from "./saga/saga-channels";
import { ExpirySweeper } from "./storage/expiry-sweeper";
import { InventoryRepository } from "./storage/inventory.repository";

interface InventoryVars {
	sequelize: Sequelize;
	/** The reserve action's parameter check, compiled once, applied to each item of a batch. */
	checkReserve: (params: object) => true | unknown[];
	/** The `order.created.v1` payload check, compiled once. */
	checkOrder: (payload: object) => true | Array<{ field?: string; message?: string }>;
	holds: OrderHoldsRepository;
	saga: OrderSaga;
	repository: InventoryRepository;
	actors: ActorRegistry;
	sweeper: ExpirySweeper;
	timers: NodeJS.Timeout[];
}

interface InventoryMethods extends MetricsMethods, OutboxMethods, DedupMethods {
	submit(sku: string, command: InventoryCommand): Promise<unknown>;
	/** A reserve through the SKU's actor, not counted in the reservations metric. */
	submitReserve(orderId: string, sku: string, quantity: number): Promise<ReservationView>;
	/** A reserve through the SKU's actor, counted in the reservations metric by result. */
	reserveOne(orderId: string, sku: string, quantity: number): Promise<ReservationView>;
	sweep(): Promise<void>;
	settleHolds(): Promise<void>;
	orderLinesOf(payload: OrderCreatedPayload): OrderLine[] | { invalid: string };
	seedDemoStock(): Promise<void>;
}

const GAUGE_INTERVAL_MS = 1000;
/** A hold left unsettled this long had its node die between decision and settle: finish it. */
const SETTLE_GRACE_MS = 5000;

/** Stock an empty embedded shop starts with (SEED_DEMO_DATA). */
const DEMO_STOCK = { "DEMO-TSHIRT": 100, "DEMO-MUG": 50, "DEMO-POSTER": 10 } as const;

/** `result` of a reserve answered with a reservation: a new one, or the stored one again. */
function successLabel(view: ReservationView): string {
	return isReplay(view) ? RESERVE_RESULT.replayed : RESERVE_RESULT.reserved;
}

/** Lower-snake result label of a failed reserve, from the error's stable type. */
function resultLabel(err: unknown): string {
	const type = (err as { type?: string }).type;
	return type ? type.toLowerCase() : "error";
}

/**
 * Stock and reservations. Every write to a SKU goes through that SKU's actor on the node that owns
 * it; reads go to the database. How a reservation reaches the code that decides it:
 *
 * 1. On the calling node (`caller/`): `inventory.reserve` passes through the batching middleware
 *    (`caller/inventory-batching.middleware.ts`), which groups the reserves of one SKU into one
 *    `inventory.reserveBatch` call (`caller/reserve-batch.ts` is its wire format) and sends it to the
 *    SKU's owner, picked by the SkuAffinity strategy (`caller/sku-affinity.strategy.ts`: rendezvous
 *    hashing over the nodes running inventory). A lost owner answers 503 (`caller/owner-loss.ts`).
 * 2. On the owner, `reserveBatch` below submits each item to the SKU's actor (`actor/actor-registry.ts`).
 * 3. The actor (`actor/sku-actor.ts`) queues it, decides its batch in memory in arrival order
 *    (`actor/batch-decider.ts`) or refuses it from memory when sold out (`actor/sold-out-refusals.ts`),
 *    and commits the batch behind the stock row's version fence (`storage/inventory.repository.ts`).
 * 4. The caller is answered after its batch committed. The checkout saga (`saga/`) reserves an order's
 *    lines through the same actors.
 */
export default function inventoryService(config: AppConfig): ServiceSchema {
	const settings = config.inventory;
	const routed = { strategy: SKU_AFFINITY };

	return defineService<InventoryVars, InventoryMethods>({
		name: "inventory",
		// DbMixin last: Moleculer runs the last mixin's `started` first, and the others need its connection.
		mixins: [
			OutboxMixin(),
			DedupMixin(),
			MetricsMixin([...inventoryMetrics, ...outboxMetrics, ...dedupMetrics]),
			DbMixin({ database: "inventory", migrations: inventoryMigrations }),
		],

		channels: sagaChannels(),

		actions: {
			/** Sets (`available`) or adjusts (`delta`, never below zero) the free quantity; creates the SKU. */
			setStock: {
				...routed,
				params: setStockParams,
				handler(ctx: Context<{ sku: string; available?: number | null; delta?: number | null }>): Promise<StockView> {
					const { sku } = ctx.params;
					// The validator lets an optional field be null: null is "not given", not a quantity to store.
					const available = ctx.params.available ?? undefined;
					const delta = ctx.params.delta ?? undefined;
					if ((available === undefined) === (delta === undefined)) {
						throw new InventoryValidationError("Give exactly one of 'available' or 'delta'", "available");
					}
					if (delta === 0) throw new InventoryValidationError("'delta' must not be 0", "delta");
					const command: InventoryCommand =
						available !== undefined
							? { kind: "setAvailable", available }
							: { kind: "adjustAvailable", delta: delta as number };
					return this.submit(sku, command) as Promise<StockView>;
				},
			},

			/** The committed stock of a SKU. */
			getStock: {
				params: getStockParams,
				async handler(ctx: Context<{ sku: string }>): Promise<StockView> {
					const stock = await this.repository.findStock(ctx.params.sku);
					if (!stock) throw new SkuNotFoundError(ctx.params.sku);
					return stockView(stock);
				},
			},

			/** Holds `quantity` units for an order until confirmed, released or expired. Idempotent. */
			reserve: {
				...routed,
				params: reserveParams(settings.maxQuantityPerOrder),
				handler(ctx: Context<{ orderId: string; sku: string; quantity: number }>): Promise<ReservationView> {
					const { orderId, sku, quantity } = ctx.params;
					return this.reserveOne(orderId, sku, quantity);
				},
			},

			/**
			 * Many reserves of one SKU in one call (sent by InventoryBatchingMiddleware on the caller):
			 * each item is validated and decided as a single reserve; one outcome per item, in order.
			 */
			reserveBatch: {
				...routed,
				params: reserveBatchParams,
				async handler(ctx: Context<{ sku: string; items: ReserveBatchItem[] }>): Promise<ReserveBatchOutcome[]> {
					const { sku, items } = ctx.params;
					// Counted once per result for the whole call: a labelled increment per item showed in the hot path's profile.
					const results = new Map<string, number>();
					const tally = (result: string) => results.set(result, (results.get(result) ?? 0) + 1);
					const outcomes = await Promise.all(
						items.map(async (item): Promise<ReserveBatchOutcome> => {
							const params = { orderId: item.orderId, sku, quantity: item.quantity };
							const valid = this.checkReserve(params);
							if (valid !== true) {
								return errorOutcome(
									new Errors.ValidationError("Parameters validation error!", "VALIDATION_ERROR", valid),
								);
							}
							try {
								const value = await this.submitReserve(params.orderId as string, sku, params.quantity as number);
								tally(successLabel(value));
								return { ok: true, value };
							} catch (err) {
								tally(resultLabel(err));
								return errorOutcome(err);
							}
						}),
					);
					for (const [result, count] of results) this.countMetric(METRIC.reservations, { result }, count);
					return outcomes;
				},
			},

			/** Gives a RESERVED reservation's units back. Idempotent; 409 after a confirm. */
			release: {
				...routed,
				params: reservationRefParams,
				handler(ctx: Context<{ orderId: string; sku: string }>): Promise<ReservationView> {
					const { orderId, sku } = ctx.params;
					return this.submit(sku, {
						kind: "release",
						reservationId: reservationIdOf(orderId, sku),
					}) as Promise<ReservationView>;
				},
			},

			/** Turns a RESERVED reservation into a sale. Idempotent; 409 after a release or expiry. */
			confirm: {
				...routed,
				params: reservationRefParams,
				handler(ctx: Context<{ orderId: string; sku: string }>): Promise<ReservationView> {
					const { orderId, sku } = ctx.params;
					return this.submit(sku, {
						kind: "confirm",
						reservationId: reservationIdOf(orderId, sku),
					}) as Promise<ReservationView>;
				},
			},

			/**
			 * Operators (REPL `hot`): this node's live actors, the commands waiting at them and the busiest SKUs;
			 * with `sampleMs`, batch and command rates over that window. Not routed: call it on each inventory
			 * node (`nodeID`).
			 */
			actorStats: {
				params: {
					limit: { type: "number", integer: true, min: 1, max: 1000, optional: true, convert: true },
					sampleMs: { type: "number", integer: true, min: 0, max: 10_000, optional: true, convert: true },
				},
				async handler(ctx: Context<{ limit?: number; sampleMs?: number }>) {
					const stats = await readActorStats(this.actors, ctx.params.limit ?? 10, ctx.params.sampleMs ?? 0);
					return { nodeID: this.broker.nodeID, ...stats };
				},
			},

			/**
			 * Operators (REPL `call inventory.orderHold --orderId o-1`): what the checkout saga decided for an
			 * order, and each line's reservation as committed.
			 */
			orderHold: {
				params: { orderId: orderIdParam },
				async handler(ctx: Context<{ orderId: string }>) {
					const { orderId } = ctx.params;
					const hold = await this.holds.find(orderId);
					if (!hold) throw new OrderHoldNotFoundError(orderId);
					const ids = hold.lines.map((line) => reservationIdOf(orderId, line.sku));
					const byId = new Map((await this.repository.findReservations(ids)).map((r) => [r.reservationId, r]));
					return {
						orderId,
						status: hold.status,
						settled: hold.settled,
						lines: hold.lines.map((line) => ({
							...line,
							reservation: byId.get(reservationIdOf(orderId, line.sku))?.status ?? null,
						})),
					};
				},
			},

			/** Internal (expiry sweep): releases those of the reservations that are past their expiry. */
			expire: {
				...routed,
				params: expireParams,
				async handler(ctx: Context<{ sku: string; reservationIds: string[] }>): Promise<{ released: number }> {
					const { sku, reservationIds } = ctx.params;
					const views = await Promise.all(
						reservationIds.map((reservationId) =>
							(this.submit(sku, { kind: "expire", reservationId }) as Promise<ReservationView>).catch(() => null),
						),
					);
					const released = views.filter((v) => v?.status === "RELEASED").length;
					this.countMetric(METRIC.expired, {}, released);
					return { released };
				},
			},
		},

		methods: {
			submit(sku: string, command: InventoryCommand) {
				return this.actors.actorFor(sku).submit(command);
			},

			submitReserve(orderId: string, sku: string, quantity: number): Promise<ReservationView> {
				return this.submit(sku, {
					kind: "reserve",
					reservationId: reservationIdOf(orderId, sku),
					orderId,
					quantity,
				}) as Promise<ReservationView>;
			},

			async reserveOne(orderId: string, sku: string, quantity: number): Promise<ReservationView> {
				try {
					const view = await this.submitReserve(orderId, sku, quantity);
					this.countMetric(METRIC.reservations, { result: successLabel(view) });
					return view;
				} catch (err) {
					this.countMetric(METRIC.reservations, { result: resultLabel(err) });
					throw err;
				}
			},

			orderLinesOf(payload: OrderCreatedPayload) {
				return orderLinesOf(payload, this.checkOrder, settings.maxQuantityPerOrder);
			},

			/** Finishes holds whose node died between recording the decision and settling the lines. */
			async settleHolds() {
				const unsettled = await this.holds.unsettled(Date.now() - SETTLE_GRACE_MS, 100);
				this.setGauge(METRIC.sagaUnsettled, unsettled.length);
				for (const hold of unsettled) {
					this.logger.info(`Settling order ${hold.orderId} (${hold.status}) left unsettled`);
					await this.saga.settle(hold);
				}
			},

			/** An empty embedded shop gets a few SKUs to try (SEED_DEMO_DATA). */
			async seedDemoStock() {
				if (!config.embedded || !config.seedDemoData) return;
				if ((await this.repository.countSkus()) > 0) return;
				for (const [sku, available] of Object.entries(DEMO_STOCK)) {
					await this.submit(sku, { kind: "setAvailable", available });
				}
				this.logger.info(`Seeded demo stock: ${Object.keys(DEMO_STOCK).join(", ")}`);
			},

			async sweep() {
				const result = await this.sweeper.sweepOnce();
				this.countMetric(METRIC.sweeps);
				this.observeMetric(METRIC.sweepDuration, result.durationMs);
				const line = `Expiry sweep: ${result.found} expired reservation(s) of ${result.skus} SKU(s), ${result.released} released here, ${Math.round(result.durationMs)} ms`;
				if (result.found > 0) this.logger.info(line);
				else this.logger.debug(line);
			},
		},

		created() {
			this.checkReserve = this.broker.validator!.compile(reserveParams(settings.maxQuantityPerOrder)) as (
				params: object,
			) => true | unknown[];
			this.checkOrder = this.broker.validator!.compile(ORDER_CREATED_SCHEMA) as InventoryVars["checkOrder"];
		},

		async started() {
			this.repository = await InventoryRepository.open(this.sequelize, settings);
			this.logger.debug(`Actor batches commit with ${this.repository.commitMode}`);
			this.actors = new ActorRegistry(this.repository, settings, {
				batchCommitted: (size, durationMs, phases) => {
					this.observeMetric(METRIC.batchSize, size);
					this.observeMetric(METRIC.batchDuration, durationMs);
					this.observeMetric(METRIC.batchPhase, phases.prepareMs, { phase: "prepare" });
					this.observeMetric(METRIC.batchPhase, phases.writeMs, { phase: "write" });
					this.observeMetric(METRIC.batchPhase, phases.waitMs, { phase: "wait_previous" });
					this.observeMetric(METRIC.batchPhase, phases.commitMs, { phase: "commit" });
				},
				fenceLost: (sku) => {
					this.countMetric(METRIC.fenceConflicts);
					this.logger.warn(`Version fence lost on ${sku}: another writer committed first; reloading`);
				},
				duplicateReservation: (sku) => {
					// A repeated order is routine (retries, redeliveries): counted, not warned about.
					this.countMetric(METRIC.duplicateReservations);
					this.logger.debug(`A reservation of ${sku} was already stored (a repeated order); redoing with lookups`);
				},
				staleStateFound: (sku) => {
					this.countMetric(METRIC.staleStates);
					this.logger.warn(`State of ${sku} was stale: another writer changed its stock row; reloading`);
				},
				soldOutRejected: () => this.countMetric(METRIC.soldOutRejects),
				batchFailed: (sku, err) => {
					this.countMetric(METRIC.batchFailures);
					// Not "nothing committed": a connection lost after the COMMIT reached the server leaves it
					// committed, and the retry gets the original outcome once the state is read again.
					this.logger.error(`Batch on ${sku} failed, its callers answered 503 (retryable): ${err.message}`);
				},
			});
			this.holds = new OrderHoldsRepository(this.sequelize);
			this.saga = new OrderSaga(
				this.holds,
				brokerOrderLines(this.broker, (orderId, sku, err) => {
					this.countMetric(METRIC.sagaSettleConflicts);
					this.logger.error(`Order ${orderId}: reservation of ${sku} cannot follow the order: ${err.message}`);
				}),
				{
					consumeOnce: (envelope, consumer, effect) => this.consumeOnce(envelope, consumer, effect),
					writeEvents: (tx, events) => this.writeEvents(tx, events),
				},
			);
			this.sweeper = new ExpirySweeper(
				this.repository,
				async (sku, reservationIds) =>
					((await this.broker.call("inventory.expire", { sku, reservationIds })) as { released: number }).released,
				settings.sweepBatch,
			);
			this.timers = [
				setInterval(() => {
					this.actors.evict();
					this.setGauge(METRIC.mailboxDepth, this.actors.mailboxDepth());
					this.setGauge(METRIC.actors, this.actors.size);
				}, GAUGE_INTERVAL_MS).unref(),
				setInterval(() => {
					this.sweep().catch((err: Error) => this.logger.warn(`Expiry sweep failed: ${err.message}`));
					this.settleHolds().catch((err: Error) => this.logger.warn(`Settling holds failed: ${err.message}`));
				}, settings.sweepIntervalMs).unref(),
			];
			await this.seedDemoStock();
		},

		async stopped() {
			for (const timer of this.timers ?? []) clearInterval(timer);
			// Let queued batches commit before the database connection closes.
			await this.actors?.drained(5000);
		},
	});
}
