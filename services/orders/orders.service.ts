import { createHash, randomUUID } from "node:crypto";
import type { Context, Service, ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { type Caller, isAdmin, requireCallerOf } from "../../lib/auth/caller";
import { defineService } from "../../lib/define-schema";
import type { OrderLine } from "../../lib/events/checkout-topics";
import type { OutboxRepository } from "../../lib/events/outbox.repository";
import { correlationIdOf } from "../../lib/observability/correlation-id";
import { replyCreated, setReplyStatus } from "../../lib/reply-status";
import { DbMixin } from "../../mixins/db.mixin";
import { type DedupMethods, DedupMixin, dedupMetrics } from "../../mixins/dedup.mixin";
import { type MetricsMethods, MetricsMixin } from "../../mixins/metrics.mixin";
import { type OutboxMethods, OutboxMixin, outboxMetrics } from "../../mixins/outbox.mixin";
import { SANDBOX_METHODS } from "../payments/sandbox-provider";
import { CheckoutAdmission } from "./checkout-admission";
import { ordersMigrations } from "./migrations";
import { OrderCoordinator } from "./order-coordinator";
import { cartLines, priceLines, totalsOf } from "./order-pricing";
import { type OrderView, orderView } from "./order-view";
import {
	CheckoutBusyError,
	IdempotencyKeyReusedError,
	InvalidOrderStateError,
	OrderNotFoundError,
	OrderRequestError,
	ShippingAddressNotFoundError,
	StockNotHeldError,
	UnsupportedPaymentMethodError,
} from "./orders.errors";
import { ORDER_METRIC, ordersMetrics } from "./orders.metrics";
import { createOrderParams, IDEMPOTENCY_KEY, listOrdersParams, orderRefParams } from "./orders.params";
import { type OrderRecord, OrdersRepository } from "./orders.repository";
import { ordersSagaChannels } from "./saga-channels";

interface OrdersVars {
	sequelize: Sequelize;
	outboxRepository: OutboxRepository;
	repository: OrdersRepository;
	coordinator: OrderCoordinator;
	sweepTimer: NodeJS.Timeout;
	sweeping: Promise<number> | null;
	admission: CheckoutAdmission;
}

interface OrdersMethods extends MetricsMethods, OutboxMethods, DedupMethods {
	sweepTimeouts(): Promise<number>;
	viewOf(order: OrderRecord): Promise<OrderView>;
	viewsOf(orders: readonly OrderRecord[]): Promise<OrderView[]>;
	ownOrder(ctx: Context, orderId: string): Promise<OrderRecord>;
}

type OrdersThis = Service & OrdersVars & OrdersMethods;

interface CreateOrderParams {
	items?: OrderLine[];
	fromCart?: boolean;
	paymentMethod: string;
	shippingAddressId?: string;
}

/** Orders the timeout sweep ends per pass (the next pass takes the rest). */
const SWEEP_BATCH = 500;

/** A purchase is looked for in the shopper's latest confirmed orders, this many. */
const PURCHASE_SCAN = 500;

/** The request as it decides the order: the same key with another request is a 409. */
function requestHashOf(params: CreateOrderParams): string {
	const { items, fromCart, paymentMethod, shippingAddressId } = params;
	return createHash("sha256")
		.update(JSON.stringify({ items: items ?? null, fromCart: fromCart ?? false, paymentMethod, shippingAddressId }))
		.digest("hex");
}

function idempotencyKeyOf(ctx: Context): string | null {
	const key = (ctx.meta as { idempotencyKey?: unknown }).idempotencyKey;
	if (key === undefined || key === null || key === "") return null;
	if (typeof key !== "string" || !IDEMPOTENCY_KEY.test(key)) {
		throw new OrderRequestError("Idempotency-Key must be 1 to 128 printable ASCII characters", "Idempotency-Key");
	}
	return key;
}

/** The shipping address must be one of the caller's own (asked in the caller's name). */
async function checkAddress(ctx: Context, addressId: string | undefined): Promise<void> {
	if (addressId === undefined) return;
	const addresses = await ctx.call<Array<{ id: string }>, object>("users.addresses", {});
	if (!addresses.some((a) => a.id === addressId)) throw new ShippingAddressNotFoundError(addressId);
}

/**
 * Orders and the checkout saga's coordinator. An order is priced from the catalog, written PENDING
 * with its `order.created.v1` in one transaction, then moved by inventory's and payments' outcomes,
 * the shopper's cancel, an operator's confirm and the timeout sweep, each through `decide`
 * (order-status.ts) under the order's lock. See API_DOCS.md for the flow.
 */
export default function ordersService(config: AppConfig): ServiceSchema {
	const settings = config.orders;

	return defineService<OrdersVars, OrdersMethods>({
		name: "orders",
		// DbMixin last: Moleculer runs the last mixin's `started` first, and the others need its connection.
		mixins: [
			OutboxMixin(),
			DedupMixin(),
			MetricsMixin([...ordersMetrics, ...outboxMetrics, ...dedupMetrics]),
			DbMixin({ database: "orders", migrations: ordersMigrations }),
		],

		channels: ordersSagaChannels(),

		actions: {
			/**
			 * Places an order from `items` or the caller's cart. With an `Idempotency-Key`, a retry of the
			 * same request answers the same order (200), another request with that key is a 409.
			 */
			create: {
				params: createOrderParams(config.inventory.maxQuantityPerOrder),
				async handler(this: OrdersThis, ctx: Context<CreateOrderParams>): Promise<OrderView> {
					const caller = requireCallerOf(ctx);
					const key = idempotencyKeyOf(ctx);
					const requestHash = requestHashOf(ctx.params);
					const replayed = async (): Promise<OrderView | null> => {
						const existing = key ? await this.repository.findByIdempotencyKey(caller.sub, key) : null;
						if (!existing) return null;
						if (existing.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
						setReplyStatus(ctx, 200);
						return this.viewOf(existing);
					};
					const earlier = await replayed();
					if (earlier) return earlier;
					const retryAfterS = this.admission.retryAfterS();
					if (retryAfterS > 0) throw new CheckoutBusyError(retryAfterS);

					const { items, fromCart, paymentMethod, shippingAddressId } = ctx.params;
					if (Boolean(items) === Boolean(fromCart)) {
						throw new OrderRequestError("Send either items or fromCart: true", "items");
					}
					// The provider's methods (the built-in sandbox's): an order that could never be paid is a 400 now.
					if (!(SANDBOX_METHODS as readonly string[]).includes(paymentMethod)) {
						throw new UnsupportedPaymentMethodError(paymentMethod, SANDBOX_METHODS);
					}
					await checkAddress(ctx, shippingAddressId);
					const lines = await priceLines(ctx, items ?? (await cartLines(ctx)));
					const now = Date.now();
					const order = {
						orderId: randomUUID(),
						userId: caller.sub,
						items: lines,
						totals: totalsOf(lines),
						paymentMethod,
						shippingAddressId: shippingAddressId ?? null,
						fromCart: Boolean(fromCart),
						idempotencyKey: key,
						requestHash: key ? requestHash : null,
						createdAt: now,
					};
					if (!(await this.coordinator.create(order, correlationIdOf(ctx)))) {
						// A concurrent request with the same key won the insert.
						const winner = await replayed();
						if (winner) return winner;
						throw new IdempotencyKeyReusedError();
					}
					replyCreated(ctx, `/api/orders/${order.orderId}`);
					// As written: PENDING with its one history entry (no read back).
					const created = {
						...order,
						status: "PENDING" as const,
						reason: null,
						paymentId: null,
						stockReserved: false,
						paymentAuthorized: false,
						version: 1,
						updatedAt: now,
					};
					return orderView(created, [{ status: "PENDING", reason: null, at: now }]);
				},
			},

			/** The caller's order (an operator's: any order). Another user's order is 404. */
			get: {
				params: orderRefParams,
				async handler(this: OrdersThis, ctx: Context<{ orderId: string }>): Promise<OrderView> {
					return this.viewOf(await this.ownOrder(ctx, ctx.params.orderId));
				},
			},

			/** `{items, page, size, total}`: the caller's orders, newest first; an operator may ask for `userId`'s. */
			list: {
				params: listOrdersParams,
				async handler(this: OrdersThis, ctx: Context<{ page: number; size: number; userId?: string }>) {
					const caller = requireCallerOf(ctx);
					const { page, size } = ctx.params;
					const userId = isAdmin(caller) && ctx.params.userId ? ctx.params.userId : caller.sub;
					const { items, total } = await this.repository.listByUser(userId, page, size);
					return { items: await this.viewsOf(items), page, size, total };
				},
			},

			/** The owner (or an operator) calls the order off before it is CONFIRMED; 409 after. */
			cancel: {
				params: orderRefParams,
				async handler(this: OrdersThis, ctx: Context<{ orderId: string }>): Promise<OrderView> {
					const caller = requireCallerOf(ctx) as Caller;
					const order = await this.ownOrder(ctx, ctx.params.orderId);
					const reason = order.userId === caller.sub ? "CANCELLED_BY_USER" : "CANCELLED_BY_OPERATOR";
					const outcome = await this.coordinator.apply(order.orderId, { kind: "cancel", reason }, correlationIdOf(ctx));
					if (outcome.kind === "refused") {
						throw new InvalidOrderStateError(order.orderId, outcome.order.status, "cancelled");
					}
					return this.viewOf(outcome.kind === "applied" ? outcome.order : order);
				},
			},

			/**
			 * Operators: confirms a PAID order whose stock inventory holds but whose `inventory.reserved.v1`
			 * never arrived (a dead letter, say). Inventory is asked first: nothing held, nothing confirmed.
			 */
			confirm: {
				params: orderRefParams,
				async handler(this: OrdersThis, ctx: Context<{ orderId: string }>): Promise<OrderView> {
					const order = await this.ownOrder(ctx, ctx.params.orderId);
					if (order.status !== "PAID") throw new InvalidOrderStateError(order.orderId, order.status, "confirmed");
					const hold = await ctx
						.call<{ status: string }, { orderId: string }>("inventory.orderHold", { orderId: order.orderId })
						.catch((err: { type?: string }) => {
							if (err.type === "ORDER_NOT_FOUND") return { status: "NONE" };
							throw err;
						});
					if (hold.status !== "RESERVED") throw new StockNotHeldError(order.orderId, hold.status);
					const outcome = await this.coordinator.apply(
						order.orderId,
						{ kind: "operatorConfirm" },
						correlationIdOf(ctx),
					);
					if (outcome.kind === "refused") {
						throw new InvalidOrderStateError(order.orderId, outcome.order.status, "confirmed");
					}
					return this.viewOf(outcome.kind === "applied" ? outcome.order : order);
				},
			},

			/** Operators: runs the timeout sweep now; `{timedOut}` is how many orders it ended. */
			runTimeouts: {
				async handler(this: OrdersThis) {
					return { timedOut: await this.sweepTimeouts() };
				},
			},

			/** Operators: FAILED outbox events back to PENDING and published (the generic replay, counted). */
			replayFailedOutbox: {
				async handler(this: OrdersThis, ctx: Context): Promise<{ requeued: number }> {
					const result = await ctx.call<{ requeued: number }, object>(
						"orders.outboxReplay",
						{},
						{ nodeID: this.broker.nodeID },
					);
					this.countMetric(ORDER_METRIC.outboxReplays, {}, result.requeued);
					return result;
				},
			},

			/** Internal (REPL `order <id>`, tests): an order by id, whoever owns it; null when unknown. */
			/** Internal (reviews): whether the user bought the product (a line of it in a CONFIRMED order). */
			purchasedBy: {
				visibility: "public",
				params: { userId: { type: "string", min: 1, max: 64 }, productId: { type: "string", min: 1, max: 64 } },
				async handler(this: OrdersThis, ctx: Context<{ userId: string; productId: string }>) {
					const { userId, productId } = ctx.params;
					return { purchased: await this.repository.hasConfirmedLineOf(userId, productId, PURCHASE_SCAN) };
				},
			},

			inspect: {
				params: { orderId: "string" },
				async handler(this: OrdersThis, ctx: Context<{ orderId: string }>): Promise<OrderView | null> {
					const order = await this.repository.find(ctx.params.orderId);
					return order ? this.viewOf(order) : null;
				},
			},
		},

		methods: {
			/** The order if the caller may see it: its owner or an operator. Otherwise 404, as if unknown. */
			async ownOrder(ctx: Context, orderId: string): Promise<OrderRecord> {
				const caller = requireCallerOf(ctx);
				const order = await this.repository.find(orderId);
				if (!order || (order.userId !== caller.sub && !isAdmin(caller))) throw new OrderNotFoundError(orderId);
				return order;
			},

			async viewOf(order: OrderRecord): Promise<OrderView> {
				return (await this.viewsOf([order]))[0] as OrderView;
			},

			/** The orders' views, their histories read in one query. */
			async viewsOf(orders: readonly OrderRecord[]): Promise<OrderView[]> {
				const histories = await this.repository.histories(orders.map((o) => o.orderId));
				return orders.map((o) => orderView(o, histories.get(o.orderId) ?? []));
			},

			/** Ends orders not PAID within the payment wait; one pass at a time per node. */
			sweepTimeouts(): Promise<number> {
				this.sweeping ??= (async () => {
					let ended = 0;
					const ids = await this.repository.openCreatedBefore(Date.now() - settings.paymentTimeoutMs, SWEEP_BATCH);
					for (const orderId of ids) {
						const outcome = await this.coordinator.apply(orderId, { kind: "timeout" }, `timeout-${orderId}`);
						if (outcome.kind === "applied") ended++;
					}
					if (ended > 0) {
						this.countMetric(ORDER_METRIC.sagaTimeouts, {}, ended);
						this.logger.info(`Timeout sweep ended ${ended} order(s) TIMED_OUT`);
					}
					const backlog = await this.outboxRepository.backlog(Date.now());
					this.setGauge(ORDER_METRIC.outboxFailedRecords, backlog.failed);
					return ended;
				})().finally(() => {
					this.sweeping = null;
				});
				return this.sweeping;
			},
		},

		async started(this: OrdersThis) {
			this.repository = new OrdersRepository(this.sequelize);
			this.sweeping = null;
			this.coordinator = new OrderCoordinator(this.repository, {
				transaction: (work) => this.sequelize.transaction(work),
				consumeOnce: (envelope, consumer, effect) => this.consumeOnce(envelope, consumer, effect),
				writeEvents: (tx, events) => this.writeEvents(tx, events),
				ended: (order, status, reason) => {
					this.countMetric(ORDER_METRIC.terminal, { status, reason: reason ?? "" });
					this.observeMetric(ORDER_METRIC.completion, Date.now() - order.createdAt, { status });
				},
			});
			this.admission = new CheckoutAdmission(
				{
					countLagging: (createdBefore, limit) => this.repository.countWaitingForStock(createdBefore, limit),
					lastStockDecisionAt: () => this.repository.lastStockDecisionAt(),
				},
				settings.admission,
				{
					lagging: (count) => this.setGauge(ORDER_METRIC.lagging, count),
					refused: () => this.countMetric(ORDER_METRIC.admissionRefused),
					changed: (open, lagging) => {
						if (open) this.logger.info("Checkout takes new orders again: stock decisions are being made");
						else
							this.logger.warn(
								`Checkout refuses new orders (503 CHECKOUT_BUSY): ${lagging}+ orders have waited over ${settings.admission.maxLagMs} ms for their stock decision, and none was decided for ${settings.admission.stallMs} ms`,
							);
					},
				},
			);
			this.admission.start();
			this.sweepTimer = setInterval(() => {
				this.sweepTimeouts().catch((err: Error) => this.logger.warn(`Timeout sweep failed: ${err.message}`));
			}, settings.timeoutSweepMs).unref();
		},

		async stopped(this: OrdersThis) {
			clearInterval(this.sweepTimer);
			this.admission?.stop();
			await this.sweeping?.catch(() => undefined);
		},
	});
}
