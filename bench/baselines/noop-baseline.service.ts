import type { Context, ServiceSchema } from "moleculer";
import type { AppConfig } from "../../config";
import { reserveParams, setStockParams } from "../../services/inventory/inventory.params";
import { reservationIdOf } from "../../services/inventory/reservation";
import type { BaselineReservation } from "./baseline-reservation";

/**
 * The transport ceiling: a `reserve` that validates its params and answers a reservation-shaped
 * reply without touching any storage. What it reaches is the most any design can reach through the
 * same Moleculer call over NATS on this machine.
 */
export default function noopBaselineService(config: AppConfig): ServiceSchema {
	return {
		name: "benchNoop",
		actions: {
			setStock: {
				params: setStockParams,
				handler: (ctx: Context<{ sku: string; available: number }>) => ({ ...ctx.params }),
			},
			reserve: {
				params: reserveParams(config.inventory.maxQuantityPerOrder),
				handler(ctx: Context<{ orderId: string; sku: string; quantity: number }>): BaselineReservation {
					const { orderId, sku, quantity } = ctx.params;
					return {
						reservationId: reservationIdOf(orderId, sku),
						orderId,
						sku,
						quantity,
						status: "RESERVED",
						expiresAt: new Date(Date.now() + 900_000).toISOString(),
					};
				},
			},
		},
	};
}
