import { type Context, Errors, type ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { defineService } from "../../lib/define-schema";
import { SKU_AFFINITY } from "../../lib/strategies/sku-affinity.strategy";
import { DbMixin } from "../../mixins/db.mixin";
import { type MetricsMethods, MetricsMixin } from "../../mixins/metrics.mixin";
import { ActorRegistry } from "./actor-registry";
import { ExpirySweeper } from "./expiry-sweeper";
import { InventoryValidationError, SkuNotFoundError } from "./inventory.errors";
import { inventoryMetrics, METRIC } from "./inventory.metrics";
import {
	expireParams,
	getStockParams,
	reservationRefParams,
	reserveBatchParams,
	reserveParams,
	setStockParams,
} from "./inventory.params";
import { InventoryRepository } from "./inventory.repository";
import type { InventoryCommand } from "./inventory-commands";
import { inventoryMigrations } from "./migrations/001-create-stock-and-reservations";
import { type ReservationView, reservationIdOf, type StockView, stockView } from "./reservation";
import { errorOutcome, type ReserveBatchItem, type ReserveBatchOutcome } from "./reserve-batch";

interface InventoryVars {
	sequelize: Sequelize;
	/** The reserve action's parameter check, compiled once, applied to each item of a batch. */
	checkReserve: (params: object) => true | unknown[];
	repository: InventoryRepository;
	actors: ActorRegistry;
	sweeper: ExpirySweeper;
	timers: NodeJS.Timeout[];
}

interface InventoryMethods extends MetricsMethods {
	submit(sku: string, command: InventoryCommand): Promise<unknown>;
	reserveOne(orderId: string, sku: string, quantity: number): Promise<ReservationView>;
	sweep(): Promise<void>;
	seedDemoStock(): Promise<void>;
}

const GAUGE_INTERVAL_MS = 1000;

/** Stock an empty embedded shop starts with (SEED_DEMO_DATA). */
const DEMO_STOCK = { "DEMO-TSHIRT": 100, "DEMO-MUG": 50, "DEMO-POSTER": 10 } as const;

/** Lower-snake result label of a failed reserve, from the error's stable type. */
function resultLabel(err: unknown): string {
	const type = (err as { type?: string }).type;
	return type ? type.toLowerCase() : "error";
}

/**
 * Stock and reservations. Every write to a SKU goes through that SKU's actor on the node that owns
 * it (calls are routed by the SkuAffinity strategy on `sku`); reads go to the database.
 */
export default function inventoryService(config: AppConfig): ServiceSchema {
	const settings = config.inventory;
	const routed = { strategy: SKU_AFFINITY };

	return defineService<InventoryVars, InventoryMethods>({
		name: "inventory",
		mixins: [DbMixin({ database: "inventory", migrations: inventoryMigrations }), MetricsMixin(inventoryMetrics)],

		actions: {
			/** Sets (`available`) or adjusts (`delta`, never below zero) the free quantity; creates the SKU. */
			setStock: {
				...routed,
				rest: "POST /stock",
				params: setStockParams,
				handler(ctx: Context<{ sku: string; available?: number; delta?: number }>): Promise<StockView> {
					const { sku, available, delta } = ctx.params;
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
				rest: "GET /stock/:sku",
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
				rest: "POST /reserve",
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
					return Promise.all(
						items.map(async (item): Promise<ReserveBatchOutcome> => {
							const params = { orderId: item.orderId, sku, quantity: item.quantity };
							const valid = this.checkReserve(params);
							if (valid !== true) {
								return errorOutcome(
									new Errors.ValidationError("Parameters validation error!", "VALIDATION_ERROR", valid),
								);
							}
							try {
								return {
									ok: true,
									value: await this.reserveOne(params.orderId as string, sku, params.quantity as number),
								};
							} catch (err) {
								return errorOutcome(err);
							}
						}),
					);
				},
			},

			/** Gives a RESERVED reservation's units back. Idempotent; 409 after a confirm. */
			release: {
				...routed,
				rest: "POST /release",
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
				rest: "POST /confirm",
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
			 * Operators (REPL `hot`): this node's live actors and the SKUs with the deepest mailboxes. Not routed:
			 * call it on each inventory node (`nodeID`).
			 */
			actorStats: {
				params: { limit: { type: "number", integer: true, min: 1, max: 1000, optional: true, convert: true } },
				handler(ctx: Context<{ limit?: number }>) {
					return {
						nodeID: this.broker.nodeID,
						actors: this.actors.size,
						queued: this.actors.mailboxDepth(),
						busiest: this.actors.busiest(ctx.params.limit ?? 10),
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

			async reserveOne(orderId: string, sku: string, quantity: number): Promise<ReservationView> {
				try {
					const view = (await this.submit(sku, {
						kind: "reserve",
						reservationId: reservationIdOf(orderId, sku),
						orderId,
						quantity,
					})) as ReservationView;
					this.countMetric(METRIC.reservations, { result: "reserved" });
					return view;
				} catch (err) {
					this.countMetric(METRIC.reservations, { result: resultLabel(err) });
					throw err;
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
		},

		async started() {
			this.repository = new InventoryRepository(this.sequelize);
			this.actors = new ActorRegistry(
				this.repository,
				{ ...settings },
				{
					batchCommitted: (size, durationMs) => {
						this.observeMetric(METRIC.batchSize, size);
						this.observeMetric(METRIC.batchDuration, durationMs);
					},
					fenceLost: (sku) => {
						this.countMetric(METRIC.fenceConflicts);
						this.logger.warn(`Version fence lost on ${sku}: another writer committed first; reloading`);
					},
					soldOutRejected: () => this.countMetric(METRIC.soldOutRejects),
					batchFailed: (sku, err) => {
						this.countMetric(METRIC.batchFailures);
						this.logger.error(`Batch on ${sku} failed, nothing committed: ${err.message}`);
					},
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
