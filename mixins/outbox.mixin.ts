import type { Sequelize, Transaction } from "sequelize";
import { appConfigOf } from "../config/app-config-of";
import { defineMixin } from "../lib/define-schema";
import type { EventEnvelope } from "../lib/events/event-envelope";
import { channelPublisher, EVENTS_STARTING } from "../lib/events/event-publisher";
import { OutboxRepository, type OutboxStatus } from "../lib/events/outbox.repository";
import { OutboxRelay } from "../lib/events/outbox-relay";
import type { MetricsMethods } from "./metrics.mixin";

export const OUTBOX_METRIC = {
	pending: "shop_outbox_pending",
	failed: "shop_outbox_failed",
	failedTotal: "shop_outbox_failed_total",
	attempts: "shop_outbox_publish_attempts_total",
	latency: "shop_outbox_publish_latency_ms",
} as const;

/** Metric definitions for MetricsMixin of a producing service. */
export const outboxMetrics = [
	{
		type: "gauge",
		name: OUTBOX_METRIC.pending,
		description: "Outbox events waiting to be published",
		labelNames: ["service"],
	},
	{ type: "gauge", name: OUTBOX_METRIC.failed, description: "Outbox events marked FAILED", labelNames: ["service"] },
	{
		type: "counter",
		name: OUTBOX_METRIC.failedTotal,
		description: "Outbox events that became FAILED",
		labelNames: ["service"],
		zeroSeries: (service: string) => [{ service }],
	},
	{
		type: "counter",
		name: OUTBOX_METRIC.attempts,
		description: "Publish attempts by result",
		labelNames: ["service", "result"],
		zeroSeries: (service: string) => [
			{ service, result: "published" },
			{ service, result: "error" },
		],
	},
	{
		type: "histogram",
		name: OUTBOX_METRIC.latency,
		description: "Commit to broker acknowledgement, ms",
		labelNames: ["service"],
		buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000, 30000],
	},
] as const;

interface OutboxVars {
	sequelize: Sequelize;
	outboxRepository: OutboxRepository;
	relay: OutboxRelay;
	outboxTimers: NodeJS.Timeout[];
}

export interface OutboxMethods {
	/** Writes events in the caller's transaction; they are published right after it commits. */
	writeEvents(transaction: Transaction, events: readonly EventEnvelope[]): Promise<void>;
}

/**
 * Transactional outbox for a service that also uses DbMixin (with `outboxMigration` in its
 * migrations) and MetricsMixin (with `outboxMetrics`). Adds `<service>.outboxStatus` and
 * `<service>.outboxReplay` for operators.
 */
export function OutboxMixin() {
	return defineMixin<OutboxVars, OutboxMethods & MetricsMethods>({
		actions: {
			/** Pending and failed counts, oldest pending age. */
			outboxStatus: {
				visibility: "published",
				handler(): Promise<OutboxStatus> {
					return this.outboxRepository.status(Date.now());
				},
			},
			/** Sends FAILED events again (after the cause was fixed). */
			outboxReplay: {
				async handler(): Promise<{ requeued: number }> {
					const requeued = await this.outboxRepository.replayFailed(Date.now());
					if (requeued > 0) void this.relay.drain().catch(() => undefined);
					return { requeued };
				},
			},
		},

		methods: {
			async writeEvents(transaction: Transaction, events: readonly EventEnvelope[]) {
				const now = Date.now();
				const { leased, queued } = await this.outboxRepository.insert(
					transaction,
					events,
					now,
					this.relay.newLease(now),
				);
				transaction.afterCommit(() => {
					this.relay
						.afterCommit(leased, queued)
						.catch((err: Error) => this.logger.warn(`Outbox publish deferred: ${err.message}`));
				});
			},
		},

		started() {
			if (!this.sequelize) {
				// Moleculer runs the started hooks of the LAST mixin first.
				throw new Error(`${this.name}: OutboxMixin has no database connection; list DbMixin after it in \`mixins\``);
			}
			const config = appConfigOf(this.broker);
			const service = this.name;
			this.outboxRepository = new OutboxRepository(this.sequelize);
			this.relay = new OutboxRelay(this.outboxRepository, channelPublisher(this.broker), config.outbox, {
				published: (count, latencies) => {
					this.countMetric(OUTBOX_METRIC.attempts, { service, result: "published" }, count);
					for (const ms of latencies) this.observeMetric(OUTBOX_METRIC.latency, ms, { service });
				},
				attemptFailed: (envelope, attempts, failedForGood, err) => {
					this.countMetric(OUTBOX_METRIC.attempts, { service, result: "error" });
					if (failedForGood) {
						this.countMetric(OUTBOX_METRIC.failedTotal, { service });
						this.logger.error(
							`Outbox event ${envelope.eventId} (${envelope.type}) FAILED after ${attempts} attempts: ${err.message}`,
						);
					} else if ((err as { type?: string }).type === EVENTS_STARTING) {
						// Events written while the node starts (the embedded demo catalog's) wait for the channels
						// adapter to connect; the retry publishes them once it has. Not worth a warning on every start.
						this.logger.debug(
							`Outbox publish of ${envelope.eventId} waits for the node to start (attempt ${attempts}): ${err.message}`,
						);
					} else {
						this.logger.warn(
							`Outbox publish of ${envelope.eventId} failed (attempt ${attempts}), will retry: ${err.message}`,
						);
					}
				},
			});
			const tick = async () => {
				await this.relay.drain();
				const status = await this.outboxRepository.backlog(Date.now());
				this.setGauge(OUTBOX_METRIC.pending, status.pending, { service });
				this.setGauge(OUTBOX_METRIC.failed, status.failed, { service });
			};
			const cleanup = async () => {
				const removed = await this.outboxRepository.deletePublishedBefore(Date.now() - config.outbox.retentionMs);
				if (removed > 0) this.logger.info(`Outbox cleanup removed ${removed} published event(s)`);
			};
			this.outboxTimers = [
				setInterval(
					() => void tick().catch((err: Error) => this.logger.warn(`Outbox relay: ${err.message}`)),
					config.outbox.relayIntervalMs,
				).unref(),
				setInterval(
					() => void cleanup().catch((err: Error) => this.logger.warn(`Outbox cleanup: ${err.message}`)),
					config.outbox.cleanupIntervalMs,
				).unref(),
			];
		},

		async stopped() {
			for (const timer of this.outboxTimers ?? []) clearInterval(timer);
			// Let a running publish finish (and mark its rows) before the connection closes.
			for (let i = 0; i < 250 && this.relay?.busy; i++) await new Promise((r) => setTimeout(r, 20));
		},
	});
}
