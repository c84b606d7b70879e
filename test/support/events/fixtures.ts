/**
 * The two services of the event-flow conformance suite: "sales" writes a row and its event in one
 * transaction (transactional outbox); "ledger" consumes the event once per event id (dedup) and
 * keeps a log of every raw delivery so tests can see retries, duplicates and order.
 */
import type { Context, ServiceSchema } from "moleculer";
import { DataTypes, QueryTypes, type Sequelize } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";
import { defineService } from "../../../lib/define-schema";
import { type EventEnvelope, newEvent } from "../../../lib/events/event-envelope";
import { dedupMigration, outboxMigration } from "../../../lib/events/events-migrations";
import { correlationIdOf } from "../../../lib/observability/correlation-id";
import { DbMixin } from "../../../mixins/db.mixin";
import { type DedupMethods, DedupMixin, dedupMetrics } from "../../../mixins/dedup.mixin";
import { type MetricsMethods, MetricsMixin } from "../../../mixins/metrics.mixin";
import { type OutboxMethods, OutboxMixin, outboxMetrics } from "../../../mixins/outbox.mixin";

export const SALE_MADE = "sale.made.v1";
/** Readiness probes travel on the sale channel but are never applied to the ledger. */
export const PROBE = "probe.ping.v1";

export interface SalePayload {
	orderId: string;
	amount: number;
}

export interface SellParams {
	orderId: string;
	amount: number;
}

const createSales: Migration = {
	name: "001-create-sales",
	async up(qi) {
		await qi.createTable("sales", {
			order_id: { type: DataTypes.STRING(64), primaryKey: true },
			amount: { type: DataTypes.INTEGER, allowNull: false },
		});
	},
	async down(qi) {
		await qi.dropTable("sales");
	},
};

/**
 * Selling on an order that exists adds to it (`ON DUPLICATE KEY`), so one order (one event key) can
 * have many events, each in its own commit.
 */
export function salesService(): ServiceSchema {
	return defineService<{ sequelize: Sequelize }, OutboxMethods & MetricsMethods>({
		name: "sales",
		// Moleculer runs the `started` hooks of the LAST mixin first: the outbox needs the connection
		// DbMixin opens, so DbMixin comes last.
		mixins: [
			OutboxMixin(),
			MetricsMixin([...outboxMetrics]),
			DbMixin({ database: "sales", migrations: [createSales, outboxMigration] }),
		],
		actions: {
			sell: {
				params: { orderId: "string", amount: "number" },
				async handler(ctx: Context<SellParams>): Promise<{ eventId: string }> {
					const { orderId, amount } = ctx.params;
					const event = newEvent<SalePayload>(SALE_MADE, orderId, { orderId, amount }, correlationIdOf(ctx));
					await this.sequelize.transaction(async (transaction) => {
						await this.sequelize.query(
							"INSERT INTO sales (order_id, amount) VALUES (?, ?) ON DUPLICATE KEY UPDATE amount = amount + VALUES(amount)",
							{ replacements: [orderId, amount], transaction },
						);
						await this.writeEvents(transaction, [event]);
					});
					return { eventId: event.eventId };
				},
			},
		},
	});
}

const createLedgerEntries: Migration = {
	name: "001-create-ledger-entries",
	async up(qi) {
		// Deliberately no unique key on event_id: applying an event twice must show up as two rows.
		await qi.createTable("ledger_entries", {
			id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
			event_id: { type: DataTypes.STRING(64), allowNull: false },
			event_type: { type: DataTypes.STRING(128), allowNull: false },
			event_key: { type: DataTypes.STRING(191), allowNull: false },
			occurred_at: { type: DataTypes.STRING(64), allowNull: false },
			correlation_id: { type: DataTypes.STRING(191), allowNull: true },
			order_id: { type: DataTypes.STRING(64), allowNull: false },
			amount: { type: DataTypes.INTEGER, allowNull: false },
		});
	},
	async down(qi) {
		await qi.dropTable("ledger_entries");
	},
};

/** One raw delivery of a sale event to the ledger's handler, in arrival order. */
export interface Delivery {
	eventId: string;
	key: string;
	amount: number;
}

export interface LedgerStats {
	deliveries: Delivery[];
	applied: number;
	duplicates: number;
	probes: string[];
	rejectNegative: boolean;
}

export interface LedgerOptions {
	/**
	 * Shorter redelivery after a consumer crash: the adapters' defaults wait 30 s (JetStream `ack_wait`,
	 * Kafka session timeout) before another consumer gets the dead one's unacknowledged messages.
	 */
	fastRedelivery?: boolean;
	/** Reject (throw on) sales with a negative amount from the start: the poison. Switchable later. */
	rejectNegative?: boolean;
	onProbe?: (id: string) => void;
	onApplied?: (envelope: EventEnvelope<SalePayload>, appliedSoFar: number) => void;
	onDuplicate?: (envelope: EventEnvelope<SalePayload>) => void;
}

interface LedgerVars {
	sequelize: Sequelize;
	stats: LedgerStats;
}

export class PoisonError extends Error {
	constructor(amount: number) {
		super(`ledger rejects negative amount ${amount}`);
		this.name = "PoisonError";
	}
}

export function ledgerService(options: LedgerOptions = {}): ServiceSchema {
	// Kafka consumer tuning that changes nothing about what is delivered: the three partitions are
	// consumed concurrently (each one still in order, so per-key order holds), and a fetch long-polls
	// for 1 s instead of 5 s (a stopping consumer waits for it).
	const kafka = {
		partitionsConsumedConcurrently: 3,
		maxWaitTimeInMs: 1000,
		...(options.fastRedelivery ? { sessionTimeout: 6000, heartbeatInterval: 500 } : {}),
	};
	const nats = options.fastRedelivery ? { nats: { consumerOptions: { config: { ack_wait: 2_000_000_000 } } } } : {};
	return defineService<LedgerVars, DedupMethods & MetricsMethods>({
		name: "ledger",
		// DbMixin last: its `started` hook runs first (see salesService).
		mixins: [
			DedupMixin(),
			MetricsMixin([...dedupMetrics]),
			DbMixin({ database: "ledger", migrations: [createLedgerEntries, dedupMigration] }),
		],
		channels: {
			[SALE_MADE]: {
				group: "ledger",
				kafka,
				...nats,
				async handler(this: LedgerVars & DedupMethods, envelope: EventEnvelope<SalePayload>) {
					if (envelope.type === PROBE) {
						this.stats.probes.push(envelope.key);
						options.onProbe?.(envelope.key);
						return;
					}
					// Recorded before anything can fail: every attempt counts.
					this.stats.deliveries.push({
						eventId: envelope.eventId,
						key: envelope.key,
						amount: envelope.payload.amount,
					});
					const applied = await this.consumeOnce(envelope, "ledger", async (transaction) => {
						// Thrown inside the effect's transaction: the dedup record rolls back with it.
						if (this.stats.rejectNegative && envelope.payload.amount < 0)
							throw new PoisonError(envelope.payload.amount);
						await this.sequelize.query(
							"INSERT INTO ledger_entries (event_id, event_type, event_key, occurred_at, correlation_id, order_id, amount) VALUES (?, ?, ?, ?, ?, ?, ?)",
							{
								replacements: [
									envelope.eventId,
									envelope.type,
									envelope.key,
									envelope.occurredAt,
									envelope.correlationId ?? null,
									envelope.payload.orderId,
									envelope.payload.amount,
								],
								transaction,
							},
						);
					});
					if (applied) {
						this.stats.applied++;
						options.onApplied?.(envelope, this.stats.applied);
					} else {
						this.stats.duplicates++;
						options.onDuplicate?.(envelope);
					}
				},
			},
		},
		actions: {
			/** A snapshot (local calls would otherwise hand out the live object). */
			stats(): LedgerStats {
				return { ...this.stats, deliveries: [...this.stats.deliveries], probes: [...this.stats.probes] };
			},
			/** The switch: true makes negative amounts throw (the poison), false is "the fix". */
			rejectNegative: {
				params: { on: "boolean" },
				handler(ctx: Context<{ on: boolean }>) {
					this.stats.rejectNegative = ctx.params.on;
					return this.stats.rejectNegative;
				},
			},
			/** Entries in the consumer's table, in the order they were applied. */
			entries(): Promise<LedgerRow[]> {
				return this.sequelize.query<LedgerRow>("SELECT * FROM ledger_entries ORDER BY id", {
					type: QueryTypes.SELECT,
				});
			},
		},
		created() {
			this.stats = {
				deliveries: [],
				applied: 0,
				duplicates: 0,
				probes: [],
				rejectNegative: options.rejectNegative ?? false,
			};
		},
	});
}

export interface LedgerRow {
	id: number | string;
	event_id: string;
	event_type: string;
	event_key: string;
	occurred_at: string;
	correlation_id: string | null;
	order_id: string;
	amount: number;
}
