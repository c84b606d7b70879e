import type { InventoryRepository } from "./inventory.repository";

export interface SweepResult {
	found: number;
	released: number;
	skus: number;
	durationMs: number;
}

/**
 * Finds RESERVED reservations past their expiry and hands them, grouped by SKU, to `expire`, which
 * routes them to the SKU's actor (the only writer). Several nodes may sweep at once: expiring an
 * already released reservation is a no-op, so overlap costs work, never correctness.
 */
export class ExpirySweeper {
	constructor(
		private readonly repository: InventoryRepository,
		private readonly expire: (sku: string, reservationIds: string[]) => Promise<number>,
		private readonly batchSize: number,
	) {}

	async sweepOnce(now = Date.now()): Promise<SweepResult> {
		const started = performance.now();
		const expired = await this.repository.findExpired(now, this.batchSize);
		const bySku = new Map<string, string[]>();
		for (const { sku, reservationId } of expired) {
			const ids = bySku.get(sku) ?? [];
			ids.push(reservationId);
			bySku.set(sku, ids);
		}
		const released = await Promise.all([...bySku].map(([sku, ids]) => this.expire(sku, ids).catch(() => 0)));
		return {
			found: expired.length,
			released: released.reduce((a, b) => a + b, 0),
			skus: bySku.size,
			durationMs: performance.now() - started,
		};
	}
}
