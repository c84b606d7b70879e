import type { Context, ServiceBroker, ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { callerOf } from "../../lib/auth/caller";
import { defineService } from "../../lib/define-schema";
import type { OutboxStatus } from "../../lib/events/outbox.repository";
import { retryWithBackoff } from "../../lib/events/retry-with-backoff";
import { DbMixin } from "../../mixins/db.mixin";
import { type MetricsMethods, MetricsMixin } from "../../mixins/metrics.mixin";
import { type DeadLetter, DeadLetterRepository, isStoreUnavailable } from "./dead-letter.repository";
import { type DeadLetterAdapter, deadLetterOf, requeueMessage } from "./dead-letter-message";
import { DeadLetterAlreadyRequeuedError, DeadLetterNotFoundError } from "./events.errors";
import { EVENTS_METRIC, eventsMetrics } from "./events.metrics";
import { createDeadLetters } from "./migrations/001-create-dead-letters";
import { keepRawDeadLetters } from "./migrations/002-keep-raw-dead-letters";
import { outboxActionOf, outboxServices, SERVICE_NAME } from "./outbox-actions";

interface ChannelAdapter extends DeadLetterAdapter {
	publish(channel: string, payload: unknown, opts?: Record<string, unknown>): Promise<void>;
}

/** The adapter @moleculer/channels puts on the broker (Moleculer's typings leave it out). */
function channelAdapterOf(broker: ServiceBroker): ChannelAdapter {
	return (broker as unknown as { channelAdapter: ChannelAdapter }).channelAdapter;
}

/** Set by `broker.stop()` before services stop (Moleculer's typings leave it out). */
function isStopping(broker: unknown): boolean {
	return (broker as { stopping?: boolean }).stopping === true;
}

/** Who asked (set by the gateway from the access token), for the audit line of an operator action. */
function operatorOf(ctx: Context): string {
	return callerOf(ctx)?.sub ?? "an operator";
}

const serviceParam = { service: { type: "string", pattern: SERVICE_NAME } };

interface EventsVars {
	sequelize: Sequelize;
	deadLetters: DeadLetterRepository;
}

/**
 * Operations on durable events: keeps every dead-lettered message (from all consumers) and lets an
 * operator list and requeue them; aggregates the outbox status of every producing service.
 */
export default function eventsService(config: AppConfig): ServiceSchema {
	return defineService<EventsVars, MetricsMethods>({
		name: "events",
		mixins: [
			DbMixin({ database: "events", migrations: [createDeadLetters, keepRawDeadLetters] }),
			MetricsMixin(eventsMetrics(config.namespace)),
		],

		channels: {
			[config.events.deadLetterTopic]: {
				group: "dead-letter-store",
				// The bytes as they are: a dead letter that is not JSON is kept like the others.
				rawPayload: true,
				// A store failure must not dead-letter the dead letter.
				deadLettering: { enabled: false },
				async handler(payload: unknown, raw: unknown) {
					const letter = deadLetterOf(payload, raw, channelAdapterOf(this.broker));
					// While the database is away the store waits (blocking its consumer) rather than let the
					// channel's few quick retries run out; only a stopping node hands the message back to the broker.
					await retryWithBackoff(() => this.deadLetters.add(letter, Date.now()), {
						giveUp: (err) => !isStoreUnavailable(err) || isStopping(this.broker),
						onRetry: (err, delayMs) =>
							this.logger.warn(`Dead letter not stored, again in ${delayMs} ms: ${(err as Error).message}`),
					});
					this.countMetric(EVENTS_METRIC.deadLetters, { channel: letter.originalChannel });
				},
			},
		},

		actions: {
			/** Dead letters, newest first (`open`: only those not requeued yet). */
			deadLetters: {
				params: {
					open: { type: "boolean", optional: true, convert: true },
					limit: { type: "number", integer: true, min: 1, max: 1000, optional: true, convert: true },
				},
				handler(ctx: Context<{ open?: boolean; limit?: number }>): Promise<DeadLetter[]> {
					return this.deadLetters.list(ctx.params.open ?? true, ctx.params.limit ?? 100);
				},
			},

			/**
			 * Publishes a dead letter again (its bytes, key and headers) to the channel and group it came from,
			 * after the consumer was fixed.
			 */
			requeueDeadLetter: {
				params: { id: { type: "number", integer: true, positive: true, convert: true } },
				async handler(ctx: Context<{ id: number }>): Promise<DeadLetter> {
					const found = await this.deadLetters.find(ctx.params.id);
					if (!found) throw new DeadLetterNotFoundError(ctx.params.id);
					const { letter, bytes } = found;
					if (letter.requeuedAt) throw new DeadLetterAlreadyRequeuedError(letter.id);
					// The stored channel name already carries the namespace prefix: publish through the adapter.
					const adapter = channelAdapterOf(this.broker);
					const message = requeueMessage(letter, bytes);
					await adapter.publish(message.channel, message.payload, message.opts);
					await this.deadLetters.markRequeued(letter.id, Date.now());
					this.logger.info(`Dead letter ${letter.id} requeued to ${letter.originalChannel} by ${operatorOf(ctx)}`);
					return { ...letter, requeuedAt: new Date().toISOString() };
				},
			},

			/** Outbox status of every service that has one. */
			async outboxStatus(ctx: Context) {
				const services = outboxServices(this.broker, this.name, { onlyAvailable: true });
				const entries = await Promise.all(
					services.map(async (service) => [service, await ctx.call(`${service}.outboxStatus`)] as const),
				);
				return Object.fromEntries(entries);
			},

			/** Outbox status of one producing service. 404 `UNKNOWN_SERVICE` / `OUTBOX_NOT_FOUND`. */
			outboxStatusOf: {
				params: serviceParam,
				async handler(ctx: Context<{ service: string }>): Promise<{ service: string } & OutboxStatus> {
					const { service } = ctx.params;
					const status = await ctx.call<OutboxStatus>(outboxActionOf(this.broker, this.name, service, "outboxStatus"));
					return { service, ...status };
				},
			},

			/** Puts one service's FAILED outbox events back in line; they are published at once. */
			replayOutbox: {
				params: serviceParam,
				async handler(ctx: Context<{ service: string }>): Promise<{ service: string; requeued: number }> {
					const { service } = ctx.params;
					const { requeued } = await ctx.call<{ requeued: number }>(
						outboxActionOf(this.broker, this.name, service, "outboxReplay"),
					);
					this.logger.info(`Outbox replay of ${service}: ${requeued} FAILED event(s) requeued by ${operatorOf(ctx)}`);
					return { service, requeued };
				},
			},
		},

		started() {
			this.deadLetters = new DeadLetterRepository(this.sequelize);
		},
	});
}
