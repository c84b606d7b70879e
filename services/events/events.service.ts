import type { Context, ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { defineService } from "../../lib/define-schema";
import { ClientError } from "../../lib/errors";
import { DbMixin } from "../../mixins/db.mixin";
import { type MetricsMethods, MetricsMixin } from "../../mixins/metrics.mixin";
import { type DeadLetter, DeadLetterRepository } from "./dead-letter.repository";
import { createDeadLetters } from "./migrations/001-create-dead-letters";

const DEAD_LETTERS_METRIC = "shop_events_dead_letters_total";

interface ChannelAdapter {
	parseMessageHeaders(raw: unknown): Record<string, string> | null;
	publish(channel: string, payload: unknown, opts?: Record<string, unknown>): Promise<void>;
}

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
					if (!letter)
						throw new ClientError(`Dead letter ${ctx.params.id} does not exist`, 404, "DEAD_LETTER_NOT_FOUND");
					if (letter.requeuedAt) {
						throw new ClientError(`Dead letter ${letter.id} was already requeued`, 409, "DEAD_LETTER_ALREADY_REQUEUED");
					}
					// The stored channel name already carries the namespace prefix: publish through the adapter.
					const adapter = (this.broker as unknown as { channelAdapter: ChannelAdapter }).channelAdapter;
					await adapter.publish(letter.originalChannel, letter.payload, {
						key: (letter.payload as { key?: string } | null)?.key,
						headers: letter.eventId ? { eventId: letter.eventId } : {},
					});
					await this.deadLetters.markRequeued(letter.id, Date.now());
					return { ...letter, requeuedAt: new Date().toISOString() };
				},
			},

			/** Outbox status of every service that has one. */
			async outboxStatus(ctx: Context) {
				const actions = this.broker.registry
					.getActionList({ onlyAvailable: true, skipInternal: true })
					.map((a: { name: string }) => a.name)
					.filter((name: string) => name.endsWith(".outboxStatus"));
				const entries = await Promise.all(
					[...new Set(actions)].map(async (name) => [name.split(".")[0], await ctx.call(name)] as const),
				);
				return Object.fromEntries(entries);
			},
		},

		started() {
			this.deadLetters = new DeadLetterRepository(this.sequelize);
		},
	});
}
