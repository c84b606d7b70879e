import type { Context, ServiceSchema } from "moleculer";
import type mysql from "mysql2/promise";
import type { AppConfig } from "../../config";
import { defineService } from "../../lib/define-schema";
import { InsufficientStockError } from "../../services/inventory/inventory.errors";
import { reserveParams } from "../../services/inventory/inventory.params";
import { baselineDatabaseName, inTransaction, openBaselineDatabase, setBaselineStockAction } from "./baseline-database";
import { type BaselineReservation, insertReservation } from "./baseline-reservation";

interface ConditionalVars {
	pool: mysql.Pool;
}

/**
 * Baseline "conditional UPDATE per request": every reserve is its own transaction whose UPDATE
 * only matches while enough stock is left, so the row lock serialises the requests of a hot SKU
 * and every one of them pays its own commit. Plain mysql2, pool of DB_POOL_MAX connections.
 */
export default function conditionalBaselineService(config: AppConfig): ServiceSchema {
	return defineService<ConditionalVars>({
		name: "benchConditional",
		actions: {
			setStock: setBaselineStockAction,
			reserve: {
				params: reserveParams(config.inventory.maxQuantityPerOrder),
				handler(ctx: Context<{ orderId: string; sku: string; quantity: number }>): Promise<BaselineReservation> {
					const { sku, quantity } = ctx.params;
					return inTransaction(this.pool, async (conn) => {
						const [result] = await conn.query<mysql.ResultSetHeader>(
							"UPDATE stock SET available = available - ?, reserved = reserved + ?, updated_at = ? WHERE sku = ? AND available >= ?",
							[quantity, quantity, Date.now(), sku, quantity],
						);
						// Throwing rolls the (empty) transaction back.
						if (result.affectedRows !== 1) throw new InsufficientStockError(sku, quantity, 0);
						return insertReservation(conn, ctx.params);
					});
				},
			},
		},
		async started() {
			this.pool = await openBaselineDatabase(config, baselineDatabaseName(config, "bench_conditional"));
		},
		async stopped() {
			await this.pool?.end();
		},
	});
}
