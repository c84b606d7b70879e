import type { Sequelize, Transaction } from "sequelize";
import { appConfigOf } from "../config/app-config-of";
import { isMariaDbServer } from "../lib/db/mysql-server";
import { transactionOpenedBy } from "../lib/db/transaction-opened-by";
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
	/** The dedup INSERT carries the transaction's START (MariaDB, `DB_COMPOUND_BEGIN`): lib/db/transaction-opened-by.ts. */
	dedupCompoundBegin: boolean;
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
				const applied = await transactionOpenedBy(
					this.sequelize,
					this.dedupCompoundBegin,
					this.dedupRepository.recording(envelope.eventId, consumer, Date.now()),
					async (transaction, recordedBefore) => {
						if (recordedBefore) return false;
						await effect(transaction);
						return true;
					},
				);
				if (!applied) this.countMetric(DEDUP_METRIC.duplicates, { consumer });
				return applied;
			},
		},

		async started() {
			if (!this.sequelize) {
				// Moleculer runs the started hooks of the LAST mixin first.
				throw new Error(`${this.name}: DedupMixin has no database connection; list DbMixin after it in \`mixins\``);
			}
			const config = appConfigOf(this.broker);
			this.dedupRepository = new DedupRepository(this.sequelize);
			this.dedupCompoundBegin = config.db.compoundBegin && (await isMariaDbServer(this.sequelize));
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
