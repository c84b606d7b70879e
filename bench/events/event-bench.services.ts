import type { Context, ServiceSchema } from "moleculer";
import { QueryTypes, type Sequelize } from "sequelize";
import { defineService } from "../../lib/define-schema";
import { type EventEnvelope, newEvent } from "../../lib/events/event-envelope";
import { outboxMigration } from "../../lib/events/events-migrations";
import { correlationIdOf } from "../../lib/observability/correlation-id";
import { DbMixin } from "../../mixins/db.mixin";
import { type MetricsMethods, MetricsMixin } from "../../mixins/metrics.mixin";
import { type OutboxMethods, OutboxMixin, outboxMetrics } from "../../mixins/outbox.mixin";

export const BENCH_TOPIC = "bench.tick.v1";

/** Commits `count` events (distinct keys) per transaction; reports each event's commit time. */
export function producerService(onCommitted: (eventIds: string[], at: number) => void): ServiceSchema {
	return defineService<{ sequelize: Sequelize }, OutboxMethods & MetricsMethods>({
		name: "benchProducer",
		// DbMixin last: Moleculer runs the last mixin's `started` first, and the outbox needs its connection.
		mixins: [
			OutboxMixin(),
			MetricsMixin([...outboxMetrics]),
			DbMixin({ database: "bench_events", migrations: [outboxMigration] }),
		],
		actions: {
			/** When the relay marked the last event published (epoch ms), to time the relay apart from consumers. */
			lastPublishedAt: {
				async handler(): Promise<number> {
					const [row] = await this.sequelize.query<{ at: number | string | null }>(
						"SELECT MAX(published_at) AS at FROM outbox_events",
						{ type: QueryTypes.SELECT },
					);
					return Number(row?.at ?? 0);
				},
			},
			commit: {
				params: { count: "number", prefix: "string" },
				async handler(ctx: Context<{ count: number; prefix: string }>): Promise<void> {
					const events = Array.from({ length: ctx.params.count }, (_, i) =>
						newEvent(BENCH_TOPIC, `${ctx.params.prefix}-${i}`, { i }, correlationIdOf(ctx)),
					);
					await this.sequelize.transaction((transaction) => this.writeEvents(transaction, events));
					onCommitted(
						events.map((e) => e.eventId),
						performance.now(),
					);
				},
			},
		},
	});
}

/** Records when each event reached a consumer handler. */
export function consumerService(onConsumed: (eventId: string, at: number) => void): ServiceSchema {
	return {
		name: "benchConsumer",
		channels: {
			[BENCH_TOPIC]: {
				group: "bench",
				maxInFlight: 100,
				handler(envelope: EventEnvelope) {
					onConsumed(envelope.eventId, performance.now());
				},
			},
		},
	} as ServiceSchema;
}
