import type { Sequelize, Transaction } from "sequelize";
import { appConfigOf } from "../config/app-config-of";
import { defineMixin } from "../lib/define-schema";
import { DedupRepository } from "../lib/events/dedup.repository";
import type { EventEnvelope } from "../lib/events/event-envelope";
import type { MetricsMethods } from "./metrics.mixin";

export const DEDUP_METRIC = { duplicates: "shop_events_duplicates_skipped_total" } as const;

export const dedupMetrics = [
	{
		type: "counter",
		name: DEDUP_METRIC.duplicates,
		description: "Redelivered events acknowledged without applying them again",
		labelNames: ["consumer"],
		// Every consumer is named after its service (orders, inventory, payments).
		zeroSeries: (service: string) => [{ consumer: service }],
	},
] as const;

interface DedupVars {
	sequelize: Sequelize;
	dedupRepository: DedupRepository;
	dedupTimer: NodeJS.Timeout;
}

export interface DedupMethods {
	/**
	 * Applies `effect` once per (event, consumer): records the pair and runs the effect in ONE
	 * transaction. A duplicate is skipped (and acknowledged by returning normally). Returns whether
	 * the effect ran.
	 */
	consumeOnce(
		envelope: EventEnvelope,
		consumer: string,
		effect: (transaction: Transaction) => Promise<void>,
	): Promise<boolean>;
}

/** Consumer dedup for a service that also uses DbMixin (with `dedupMigration`) and MetricsMixin (with `dedupMetrics`). */
export function DedupMixin() {
	return defineMixin<DedupVars, DedupMethods & MetricsMethods>({
		methods: {
			async consumeOnce(envelope, consumer, effect) {
				const applied = await this.sequelize.transaction(async (transaction) => {
					const first = await this.dedupRepository.record(transaction, envelope.eventId, consumer, Date.now());
					if (!first) return false;
					await effect(transaction);
					return true;
				});
				if (!applied) this.countMetric(DEDUP_METRIC.duplicates, { consumer });
				return applied;
			},
		},

		started() {
			if (!this.sequelize) {
				// Moleculer runs the started hooks of the LAST mixin first.
				throw new Error(`${this.name}: DedupMixin has no database connection; list DbMixin after it in \`mixins\``);
			}
			const config = appConfigOf(this.broker);
			this.dedupRepository = new DedupRepository(this.sequelize);
			this.dedupTimer = setInterval(() => {
				this.dedupRepository
					.deleteBefore(Date.now() - config.outbox.dedupRetentionMs)
					.then((n) => n > 0 && this.logger.info(`Dedup cleanup removed ${n} record(s)`))
					.catch((err: Error) => this.logger.warn(`Dedup cleanup: ${err.message}`));
			}, config.outbox.cleanupIntervalMs).unref();
		},

		stopped() {
			clearInterval(this.dedupTimer);
		},
	});
}
