import type { Context, ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { callerOf } from "../../lib/auth/caller";
import { defineService } from "../../lib/define-schema";
import type { OutboxStatus } from "../../lib/events/outbox.repository";
import { DbMixin } from "../../mixins/db.mixin";
import { type MetricsMethods, MetricsMixin } from "../../mixins/metrics.mixin";
import { type DeadLetter, DeadLetterRepository } from "./dead-letter.repository";
import { DeadLetterAlreadyRequeuedError, DeadLetterNotFoundError } from "./events.errors";
import { createDeadLetters } from "./migrations/001-create-dead-letters";
import { outboxActionOf, outboxServices, SERVICE_NAME } from "./outbox-actions";

const DEAD_LETTERS_METRIC = "shop_events_dead_letters_total";

interface ChannelAdapter {
	parseMessageHeaders(raw: unknown): Record<string, string> | null;
	publish(channel: string, payload: unknown, opts?: Record<string, unknown>): Promise<void>;
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
			DbMixin({ database: "events", migrations: [createDeadLetters] }),
			MetricsMixin([
				{
					type: "counter",
					name: DEAD_LETTERS_METRIC,
					description: "Messages moved to the dead-letter topic",
					labelNames: ["channel"],
				},
			]),
		],

		channels: {
			[config.events.deadLetterTopic]: {
				group: "dead-letter-store",
				// A store failure must not dead-letter the dead letter: retry, never give up.
				deadLettering: { enabled: false },
				async handler(
					this: { deadLetters: DeadLetterRepository; broker: { channelAdapter: ChannelAdapter } } & MetricsMethods,
					payload: unknown,
					raw: unknown,
				) {
					const headers = this.broker.channelAdapter.parseMessageHeaders(raw) ?? {};
					const originalChannel = headers["x-original-channel"] ?? "unknown";
					await this.deadLetters.add(
						{
							eventId: (payload as { eventId?: string } | null)?.eventId ?? headers.eventId ?? null,
							originalChannel,
							originalGroup: headers["x-original-group"] ?? null,
							error: headers["x-error-message"] ?? null,
							payload,
						},
						Date.now(),
					);
					this.countMetric(DEAD_LETTERS_METRIC, { channel: originalChannel });
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

			/** Publishes a dead letter again to the channel it came from (after the consumer was fixed). */
			requeueDeadLetter: {
				params: { id: { type: "number", integer: true, positive: true, convert: true } },
				async handler(ctx: Context<{ id: number }>): Promise<DeadLetter> {
					const letter = await this.deadLetters.find(ctx.params.id);
					if (!letter) throw new DeadLetterNotFoundError(ctx.params.id);
					if (letter.requeuedAt) throw new DeadLetterAlreadyRequeuedError(letter.id);
					// The stored channel name already carries the namespace prefix: publish through the adapter.
					const adapter = (this.broker as unknown as { channelAdapter: ChannelAdapter }).channelAdapter;
					await adapter.publish(letter.originalChannel, letter.payload, {
						key: (letter.payload as { key?: string } | null)?.key,
						headers: letter.eventId ? { eventId: letter.eventId } : {},
					});
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
