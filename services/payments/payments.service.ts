import type { Context, Service, ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { callerOf, isAdmin, requireCallerOf } from "../../lib/auth/caller";
import { defineService } from "../../lib/define-schema";
import { correlationIdOf } from "../../lib/observability/correlation-id";
import { replyCreated, setReplyStatus } from "../../lib/reply-status";
import { DbMixin } from "../../mixins/db.mixin";
import { type DedupMethods, DedupMixin, dedupMetrics } from "../../mixins/dedup.mixin";
import { type MetricsMethods, MetricsMixin } from "../../mixins/metrics.mixin";
import { type OutboxMethods, OutboxMixin, outboxMetrics } from "../../mixins/outbox.mixin";
import { DeadLetterReplay } from "./dead-letter-replay";
import { IntentRequests } from "./intent-requests";
import { paymentsMigrations } from "./migrations";
import { PaymentEffects } from "./payment-effects";
import { PaymentSaga } from "./payment-saga";
import { deadLetterView, type PaymentView, paymentView } from "./payment-view";
import { PaymentNotFoundError, PaymentOrderConflictError, UnsupportedPaymentMethodError } from "./payments.errors";
import { PAYMENT_METRIC, paymentsMetrics } from "./payments.metrics";
import {
	byOrderParams,
	createIntentParams,
	deadLetterRefParams,
	deadLettersParams,
	paymentRefParams,
	setOutageModeParams,
} from "./payments.params";
import { type PaymentRecord, PaymentsRepository } from "./payments.repository";
import type { CallHooks, RetrySettings } from "./provider-calls";
import { type DeadLetterStatus, ProviderDeadLettersRepository } from "./provider-dead-letters.repository";
import { paymentsSagaChannels } from "./saga-channels";
import { isSandboxMethod, SANDBOX_METHODS, SandboxProvider } from "./sandbox-provider";
import { WebhookEventsRepository } from "./webhook-events.repository";
import { WebhookReceiver } from "./webhook-receiver";
import { webhookUrlOf } from "./webhook-url";

/** Broadcast to every payments node: the outage drill must reach the provider client of each. */
export const OUTAGE_MODE_EVENT = "payments.outageModeChanged";

/** A requeue whose node died leaves its dead letter REQUEUED; after this long it may be requeued again. */
const STALE_REQUEUE_MS = 5 * 60_000;

interface PaymentsVars {
	sequelize: Sequelize;
	provider: SandboxProvider;
	payments: PaymentsRepository;
	deadLetters: ProviderDeadLettersRepository;
	saga: PaymentSaga;
	intents: IntentRequests;
	receiver: WebhookReceiver;
	replay: DeadLetterReplay;
}

interface PaymentsMethods extends MetricsMethods, OutboxMethods, DedupMethods {
	/** The caller's payment (an operator's: any); 404 for another user's, as for a missing one. */
	visiblePayment(ctx: Context, paymentId: string): Promise<PaymentRecord>;
}

type PaymentsThis = Service & PaymentsVars & PaymentsMethods;

interface CreateIntentParams {
	orderId: string;
	amountCents: number;
	currency: string;
	paymentMethod: string;
}

/**
 * Payments: one per order, made on `order.created.v1` (or by a client, `POST /api/payments/intents`),
 * moved by the provider's signed webhooks and by the order's end (capture on confirm, void on cancel
 * or timeout). Provider calls are retried, then dead-lettered for an operator to replay. See API_DOCS.md.
 */
export default function paymentsService(config: AppConfig): ServiceSchema {
	const settings = config.payments;
	const retry: RetrySettings = { maxAttempts: settings.providerMaxAttempts, backoffMs: settings.providerBackoffMs };

	return defineService<PaymentsVars, PaymentsMethods>({
		name: "payments",
		// DbMixin last: Moleculer runs the last mixin's `started` first, and the others need its connection.
		mixins: [
			OutboxMixin(),
			DedupMixin(),
			MetricsMixin([...paymentsMetrics, ...outboxMetrics, ...dedupMetrics]),
			DbMixin({ database: "payments", migrations: paymentsMigrations }),
		],

		channels: paymentsSagaChannels(),

		events: {
			/** Every payments node follows the outage drill (the action sets its own node at once). */
			[OUTAGE_MODE_EVENT]: {
				handler(this: PaymentsThis, ctx: Context<{ enabled?: unknown }>) {
					this.provider.setOutageMode(ctx.params?.enabled === true);
				},
			},
		},

		actions: {
			/**
			 * For clients that pay separately from checkout: the payment of `orderId`, owned by the caller,
			 * made now (201) or as made before (200).
			 */
			createIntent: {
				params: createIntentParams,
				async handler(this: PaymentsThis, ctx: Context<CreateIntentParams>): Promise<PaymentView> {
					const caller = requireCallerOf(ctx);
					const { orderId, amountCents, currency, paymentMethod } = ctx.params;
					if (!isSandboxMethod(paymentMethod)) throw new UnsupportedPaymentMethodError(paymentMethod, SANDBOX_METHODS);
					const { payment, created } = await this.sequelize.transaction((tx) =>
						this.saga.open(tx, {
							orderId,
							correlationId: correlationIdOf(ctx),
							userId: caller.sub,
							amountCents,
							currency,
							method: paymentMethod,
						}),
					);
					if (payment.userId !== caller.sub) throw new PaymentOrderConflictError(orderId);
					let current = payment;
					if (payment.status === "CREATED") {
						current = (await this.intents.request(payment, correlationIdOf(ctx), "retry")).payment ?? payment;
					}
					if (created) replyCreated(ctx, `/api/payments/${payment.paymentId}`);
					else setReplyStatus(ctx, 200);
					return paymentView(current);
				},
			},

			/** The caller's payment; an operator's: any. */
			get: {
				params: paymentRefParams,
				async handler(this: PaymentsThis, ctx: Context<{ paymentId: string }>): Promise<PaymentView> {
					return paymentView(await this.visiblePayment(ctx, ctx.params.paymentId));
				},
			},

			/** Internal (REPL `order <id>`, tests): the order's payment, whoever owns it, or null. */
			byOrder: {
				visibility: "public",
				params: byOrderParams,
				async handler(this: PaymentsThis, ctx: Context<{ orderId: string }>): Promise<PaymentView | null> {
					const payment = await this.payments.findByOrder(ctx.params.orderId);
					return payment ? paymentView(payment) : null;
				},
			},

			/**
			 * The provider's webhook (`POST /api/payments/webhook`, no token): the gateway hands over the body's
			 * exact text (`meta.rawBody`) and its `X-Razorpay-Signature` (`meta.signature`).
			 */
			webhook: {
				async handler(this: PaymentsThis, ctx: Context<object, { rawBody?: unknown; signature?: unknown }>) {
					const rawBody = typeof ctx.meta.rawBody === "string" ? ctx.meta.rawBody : "";
					const receipt = await this.receiver.receive(rawBody, ctx.meta.signature, correlationIdOf(ctx));
					return receipt.duplicate ? { received: true, duplicate: true } : { received: true };
				},
			},

			/** Operators: whether this node's provider client is in outage mode. */
			outageMode: {
				handler(this: PaymentsThis): { enabled: boolean } {
					return { enabled: this.provider.outageMode };
				},
			},

			/** Operators: every provider call fails (a drill of the retries and dead letters), on every payments node. */
			setOutageMode: {
				params: setOutageModeParams,
				async handler(this: PaymentsThis, ctx: Context<{ enabled: boolean }>): Promise<{ enabled: boolean }> {
					const { enabled } = ctx.params;
					this.provider.setOutageMode(enabled);
					await this.broker.broadcast(OUTAGE_MODE_EVENT, { enabled });
					this.countMetric(PAYMENT_METRIC.outageToggles, { enabled: String(enabled) });
					this.logger.warn(
						`Payment provider outage mode ${enabled ? "ON" : "OFF"} by ${callerOf(ctx)?.sub ?? "an operator"}`,
					);
					return { enabled };
				},
			},

			/** Operators: the provider dead letters, newest first. */
			deadLetters: {
				params: deadLettersParams,
				async handler(
					this: PaymentsThis,
					ctx: Context<{ status?: DeadLetterStatus; paymentId?: string; limit: number }>,
				) {
					const { status, paymentId, limit } = ctx.params;
					return (await this.deadLetters.list({ status, paymentId }, limit)).map(deadLetterView);
				},
			},

			/** Operators: replays a dead letter's provider call once, now. */
			requeueDeadLetter: {
				params: deadLetterRefParams,
				async handler(this: PaymentsThis, ctx: Context<{ id: number }>) {
					const result = await this.replay.requeue(ctx.params.id, correlationIdOf(ctx));
					this.countMetric(PAYMENT_METRIC.requeues, {
						operation: result.operation,
						result: result.resolved ? "resolved" : "failed",
					});
					return {
						requeued: true,
						status: result.status,
						resolved: result.resolved,
						deadLetter: deadLetterView(result.deadLetter),
					};
				},
			},
		},

		methods: {
			async visiblePayment(ctx: Context, paymentId: string): Promise<PaymentRecord> {
				const caller = requireCallerOf(ctx);
				const payment = await this.payments.findById(paymentId);
				if (!payment || (payment.userId !== caller.sub && !isAdmin(caller))) throw new PaymentNotFoundError(paymentId);
				return payment;
			},
		},

		created(this: PaymentsThis) {
			this.provider = new SandboxProvider({
				settings: settings.sandbox,
				secret: settings.webhookSecret,
				webhookUrl: () => webhookUrlOf(this.broker, config),
				logger: this.logger,
			});
		},

		async started(this: PaymentsThis) {
			const db = this.sequelize;
			this.payments = new PaymentsRepository(db);
			this.deadLetters = new ProviderDeadLettersRepository(db);
			const webhooks = new WebhookEventsRepository(db);
			const hooks: CallHooks = {
				retrying: (operation, attempt, err) => {
					this.countMetric(PAYMENT_METRIC.retries, { operation });
					this.logger.debug(`Provider ${operation} attempt ${attempt} failed, retrying: ${err.message}`);
				},
			};
			const effects = new PaymentEffects({
				payments: this.payments,
				webhooks,
				deadLetters: this.deadLetters,
				provider: this.provider,
				retry,
				hooks,
				host: {
					writeEvents: (tx, events) => this.writeEvents(tx, events),
					finalStatus: (status) => this.countMetric(PAYMENT_METRIC.outcomes, { status }),
					deadLettered: (operation, paymentId, err) => {
						this.countMetric(PAYMENT_METRIC.deadLetters, { operation });
						this.logger.error(`Provider ${operation} of payment ${paymentId} dead-lettered: ${err.message}`);
					},
				},
			});
			this.intents = new IntentRequests({
				db,
				payments: this.payments,
				effects,
				provider: this.provider,
				retry,
				hooks,
				supportsMethod: isSandboxMethod,
			});
			this.saga = new PaymentSaga({
				payments: this.payments,
				effects,
				intents: this.intents,
				consumeOnce: (envelope, consumer, effect) => this.consumeOnce(envelope, consumer, effect),
				logger: this.logger,
			});
			this.receiver = new WebhookReceiver({
				db,
				secret: settings.webhookSecret,
				payments: this.payments,
				webhooks,
				effects,
				logger: this.logger,
			});
			this.replay = new DeadLetterReplay({
				db,
				payments: this.payments,
				deadLetters: this.deadLetters,
				effects,
				intents: this.intents,
				staleClaimMs: STALE_REQUEUE_MS,
			});
		},

		stopped(this: PaymentsThis) {
			this.provider?.stop();
		},
	});
}
