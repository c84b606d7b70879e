import type { Context, Service, ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { ForbiddenError } from "../../lib/auth/auth.errors";
import { isAdmin, requireCallerOf } from "../../lib/auth/caller";
import { defineService } from "../../lib/define-schema";
import type { EventEnvelope } from "../../lib/events/event-envelope";
import { DbMixin } from "../../mixins/db.mixin";
import { type DedupMethods, DedupMixin, dedupMetrics } from "../../mixins/dedup.mixin";
import { type MetricsMethods, MetricsMixin } from "../../mixins/metrics.mixin";
import { type OutboxMethods, OutboxMixin, outboxMetrics } from "../../mixins/outbox.mixin";
import { composeMessage, QUIET, type Recipients } from "./compose-message";
import { logProvider, type MailProvider, smtpProvider } from "./mail-provider";
import { notificationsMigrations } from "./migrations";
import { NotificationDelivery } from "./notification-delivery";
import { type NotificationView, notificationView } from "./notification-view";
import { NotificationNotDeadError, NotificationNotFoundError } from "./notifications.errors";
import { NOTIFICATION_METRIC, notificationsMetrics } from "./notifications.metrics";
import { listByStatusParams, listParams, notificationRefParams } from "./notifications.params";
import { type NotificationRecord, NotificationsRepository } from "./notifications.repository";
import { NOTIFIED_TYPES } from "./templates";

/** The consumer group every notifications node joins, and the dedup consumer name. */
const CONSUMER = "notifications";
/** Due messages one sweep of one node attempts. */
const SWEEP_BATCH = 100;

interface NotificationsVars {
	sequelize: Sequelize;
	repository: NotificationsRepository;
	provider: MailProvider;
	delivery: NotificationDelivery;
	recipients: Recipients;
	retryTimer: NodeJS.Timeout;
	sweeping: Promise<unknown> | null;
}

interface NotificationsMethods extends MetricsMethods, OutboxMethods, DedupMethods {
	/** Records the message an event makes (once per event), then sends it. */
	notify(envelope: EventEnvelope): Promise<void>;
	/** One retry sweep at a time per node. */
	sweep(): Promise<unknown>;
}

type NotificationsThis = Service & NotificationsVars & NotificationsMethods;

/**
 * Notifications: a mail to the shopper for each order and payment event (`order.created.v1`,
 * `payment.authorized.v1`, `payment.failed.v1`, the order's end) and to a review's author for an
 * operator's decision (`review.moderated.v1`), rendered from templates and sent through the
 * configured provider (`log` or `smtp`). Failed deliveries are retried with backoff by every node's
 * sweep, then dead-lettered (`notification.dlq.v1`, `notification.alert.v1`) for an operator to
 * requeue. See API_DOCS.md.
 */
export default function notificationsService(config: AppConfig): ServiceSchema {
	const settings = config.notifications;

	const channels = Object.fromEntries(
		NOTIFIED_TYPES.map((type) => [
			type,
			{
				group: CONSUMER,
				async handler(this: NotificationsThis, envelope: EventEnvelope) {
					await this.notify(envelope);
				},
			},
		]),
	);

	return defineService<NotificationsVars, NotificationsMethods>({
		name: "notifications",
		// DbMixin last: Moleculer runs the last mixin's `started` first, and the others need its connection.
		mixins: [
			OutboxMixin(),
			DedupMixin(),
			MetricsMixin([...notificationsMetrics, ...outboxMetrics, ...dedupMetrics]),
			DbMixin({ database: "notifications", migrations: notificationsMigrations }),
		],

		channels,

		actions: {
			/** A shopper's messages, newest first (`?userId=` another's: operators only). */
			list: {
				params: listParams,
				async handler(
					this: NotificationsThis,
					ctx: Context<{ userId?: string; limit: number }>,
				): Promise<NotificationView[]> {
					const caller = requireCallerOf(ctx);
					const userId = ctx.params.userId ?? caller.sub;
					if (userId !== caller.sub && !isAdmin(caller)) throw new ForbiddenError("admin");
					return (await this.repository.list({ userId }, ctx.params.limit)).map(notificationView);
				},
			},

			/** Operators: messages whose last attempt failed and that will be tried again. */
			failed: {
				params: listByStatusParams,
				async handler(this: NotificationsThis, ctx: Context<{ limit: number }>): Promise<NotificationView[]> {
					return (await this.repository.list({ status: "FAILED" }, ctx.params.limit)).map(notificationView);
				},
			},

			/** Operators: tries every FAILED message again now, without waiting for its backoff. */
			retryFailed: {
				async handler(this: NotificationsThis) {
					const due = await this.repository.makeFailedDue(Date.now());
					// A sweep already running may have read its due list before: let it end (what it did counts too,
					// it may have taken some of these), then sweep again.
					const running = this.sweeping;
					const earlier = running ? await running.catch(() => ({})) : {};
					const outcomes = [earlier, await this.sweep()] as Array<Partial<Record<string, number>>>;
					const count = (status: string) => outcomes.reduce((n, o) => n + (o[status] ?? 0), 0);
					return { retried: due, sent: count("SENT"), failed: count("FAILED"), dead: count("DEAD") };
				},
			},

			/** Operators: the dead letters (messages that failed every attempt), newest first. */
			deadLetters: {
				params: listByStatusParams,
				async handler(this: NotificationsThis, ctx: Context<{ limit: number }>): Promise<NotificationView[]> {
					return (await this.repository.list({ status: "DEAD" }, ctx.params.limit)).map(notificationView);
				},
			},

			/** Operators: a dead letter gets a fresh set of attempts, the first one now. */
			requeueDeadLetter: {
				params: notificationRefParams,
				async handler(this: NotificationsThis, ctx: Context<{ id: number }>) {
					const { id } = ctx.params;
					const now = Date.now();
					if (!(await this.repository.requeue(id, now, now + this.delivery.leaseMs))) {
						const record = await this.repository.find(id);
						if (!record) throw new NotificationNotFoundError(id);
						throw new NotificationNotDeadError(id, record.status);
					}
					this.countMetric(NOTIFICATION_METRIC.requeues);
					this.logger.info(`Notification ${id} requeued by ${requireCallerOf(ctx).sub}`);
					await this.delivery.attempt((await this.repository.find(id)) as NotificationRecord);
					return {
						requeued: true,
						notification: notificationView((await this.repository.find(id)) as NotificationRecord),
					};
				},
			},

			/** Internal (REPL `order <id>`): the messages about an order, oldest first. */
			byOrder: {
				visibility: "public",
				params: { orderId: { type: "string", min: 1, max: 64 } },
				async handler(this: NotificationsThis, ctx: Context<{ orderId: string }>) {
					const records = await this.repository.list({ orderId: ctx.params.orderId }, 100);
					return records.reverse().map(({ id, template, status, recipient, attempts, lastError, sentAt }) => ({
						id,
						template,
						status,
						recipient,
						attempts,
						lastError,
						sentAt: sentAt === null ? null : new Date(sentAt).toISOString(),
					}));
				},
			},

			/** Internal (tests, REPL): one message by id. */
			inspect: {
				visibility: "public",
				params: notificationRefParams,
				async handler(this: NotificationsThis, ctx: Context<{ id: number }>): Promise<NotificationView | null> {
					const record = await this.repository.find(ctx.params.id);
					return record ? notificationView(record) : null;
				},
			},
		},

		methods: {
			async notify(envelope) {
				const message = await composeMessage(envelope, this.recipients);
				if (message === QUIET) return;
				if (!message) {
					this.logger.warn(`${envelope.type} ${envelope.eventId} names no known order or user: no message`);
					return;
				}
				let record: NotificationRecord | null = null;
				const now = Date.now();
				await this.consumeOnce(envelope, CONSUMER, async (tx) => {
					record = await this.repository.insert(tx, message, now + this.delivery.leaseMs, now);
				});
				const recorded = record as NotificationRecord | null;
				if (recorded?.status === "SKIPPED") {
					this.countMetric(NOTIFICATION_METRIC.skipped, { template: recorded.template });
				}
				// Sent after the commit; a failure here is recorded and retried by the sweep, never the event's.
				if (recorded?.status === "PENDING") {
					await this.delivery
						.attempt(recorded)
						.catch((err: Error) => this.logger.warn(`Notification ${recorded.id}: ${err.message}`));
				}
			},

			sweep() {
				if (!this.sweeping) {
					this.sweeping = this.delivery.runDue(SWEEP_BATCH).finally(() => {
						this.sweeping = null;
					});
				}
				return this.sweeping;
			},
		},

		async started(this: NotificationsThis) {
			this.repository = new NotificationsRepository(this.sequelize);
			this.provider =
				settings.provider === "smtp"
					? smtpProvider(settings.smtpUrl, settings.from, settings.sendTimeoutMs)
					: logProvider(this.logger);
			this.delivery = new NotificationDelivery(
				this.sequelize,
				this.repository,
				this.provider,
				(tx, events) => this.writeEvents(tx, events),
				settings,
				{
					sent: (record) => this.countMetric(NOTIFICATION_METRIC.sent, { template: record.template }),
					failed: (record, error) => {
						this.countMetric(NOTIFICATION_METRIC.failed, { template: record.template });
						this.logger.warn(`Notification ${record.id} to ${record.recipient} failed, will retry: ${error}`);
					},
					deadLettered: (record, error) => {
						this.countMetric(NOTIFICATION_METRIC.deadLetters, { template: record.template });
						this.logger.error(`Notification ${record.id} dead-lettered after every attempt: ${error}`);
					},
				},
			);
			const call = <T>(action: string, params: object) => this.broker.call<T, object>(action, params);
			this.recipients = {
				userOfOrder: async (orderId) =>
					(await this.repository.userOfOrder(orderId)) ??
					(await call<{ userId: string } | null>("orders.inspect", { orderId }))?.userId ??
					null,
				emailOf: async (userId) => (await call<{ email: string } | null>("auth.contactOf", { userId }))?.email ?? null,
				wantsOrderUpdates: async (userId) =>
					(await call<{ orderUpdates?: boolean }>("users.preferencesOf", { userId })).orderUpdates !== false,
			};
			this.sweeping = null;
			this.retryTimer = setInterval(() => {
				this.sweep().catch((err: Error) => this.logger.warn(`Notification retry sweep: ${err.message}`));
			}, settings.retryIntervalMs);
			this.retryTimer.unref();
		},

		stopped(this: NotificationsThis) {
			clearInterval(this.retryTimer);
			this.provider?.close();
		},
	});
}
