import type { Migration } from "../../../lib/db/migrator";

/**
 * The latest stock decision (history rows RESERVED, CONFIRMED, CANCELLED for a stock reason) read in one index
 * step per kind, for checkout's back-pressure: it closes only when orders lag AND no stock decision was made
 * for a while (services/orders/checkout-admission.ts).
 */
export const indexStockDecisions: Migration = {
	name: "002-index-stock-decisions",
	async up(qi) {
		await qi.addIndex("order_history", ["status", "reason", "at"], { name: "order_history_decisions" });
	},
	async down(qi) {
		await qi.removeIndex("order_history", "order_history_decisions");
	},
};
