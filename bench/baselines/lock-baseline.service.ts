import Redis from "ioredis";
import type { Context, ServiceSchema } from "moleculer";
import type mysql from "mysql2/promise";
import type { AppConfig } from "../../config";
import { defineService } from "../../lib/define-schema";
import { InsufficientStockError } from "../../services/inventory/inventory.errors";
import { reserveParams } from "../../services/inventory/inventory.params";
import { baselineDatabaseName, inTransaction, openBaselineDatabase, setBaselineStockAction } from "./baseline-database";
import { type BaselineReservation, insertReservation } from "./baseline-reservation";
import { RedisLock } from "./redis-lock";

interface LockVars {
	pool: mysql.Pool;
	redis: Redis;
	lock: RedisLock;
}

/**
 * Lock timing of the reference design: a 2 s lease, and waiters give up after 5 s (under the 10 s
 * request timeout, so a give-up is answered as an error instead of a timeout).
 */
const LOCK_OPTIONS = { ttlMs: 2000, acquireTimeoutMs: 5000, minDelayMs: 2, maxDelayMs: 50 };

/**
 * Baseline "Redis lock per request" (the reference system's design): take `lock:<sku>` in Redis,
 * then SELECT the stock, UPDATE it and INSERT the reservation in one transaction, commit, unlock.
 * Plain mysql2 (pool of DB_POOL_MAX connections) and ioredis.
 */
export default function lockBaselineService(config: AppConfig): ServiceSchema {
	const lockKey = (sku: string) => `${config.namespace}:lock:${sku}`;

	return defineService<LockVars>({
		name: "benchLock",
		actions: {
			setStock: setBaselineStockAction,
			reserve: {
				params: reserveParams(config.inventory.maxQuantityPerOrder),
				handler(ctx: Context<{ orderId: string; sku: string; quantity: number }>): Promise<BaselineReservation> {
					const { sku, quantity } = ctx.params;
					return this.lock.withLock(lockKey(sku), () =>
						inTransaction(this.pool, async (conn) => {
							// A plain read: the Redis lock, not the database, is what keeps writers apart.
							const [rows] = await conn.query<mysql.RowDataPacket[]>("SELECT available FROM stock WHERE sku = ?", [
								sku,
							]);
							const available = Number(rows[0]?.available ?? 0);
							if (available < quantity) throw new InsufficientStockError(sku, quantity, available);
							await conn.query(
								"UPDATE stock SET available = available - ?, reserved = reserved + ?, updated_at = ? WHERE sku = ?",
								[quantity, quantity, Date.now(), sku],
							);
							return insertReservation(conn, ctx.params);
						}),
					);
				},
			},
		},
		async started() {
			this.pool = await openBaselineDatabase(config, baselineDatabaseName(config, "bench_lock"));
			this.redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
			await this.redis.connect();
			this.lock = new RedisLock(this.redis, LOCK_OPTIONS);
		},
		async stopped() {
			this.redis?.disconnect();
			await this.pool?.end();
		},
	});
}
