import { setTimeout as sleep } from "node:timers/promises";
import type { ServiceBroker } from "moleculer";

/** What a caller of `inventory.reserve` got: its reservation, or an error's type and retryability. */
export type ReserveOutcome = { ok: true } | { ok: false; type: string; retryable: boolean };

/** Reserves one unit and says what came back, instead of throwing. */
export async function reserveOutcome(broker: ServiceBroker, orderId: string, sku: string): Promise<ReserveOutcome> {
	try {
		await broker.call("inventory.reserve", { orderId, sku, quantity: 1 });
		return { ok: true };
	} catch (err) {
		const e = err as { type?: string; retryable?: boolean };
		return { ok: false, type: e.type ?? "UNKNOWN", retryable: Boolean(e.retryable) };
	}
}

/** Reserves one unit for each of `orderIds` at once, and records what each got in `outcomes`. */
export async function reserveAll(
	broker: ServiceBroker,
	sku: string,
	orderIds: readonly string[],
	outcomes: Map<string, ReserveOutcome>,
): Promise<void> {
	const answers = await Promise.all(orderIds.map((orderId) => reserveOutcome(broker, orderId, sku)));
	for (const [i, orderId] of orderIds.entries()) outcomes.set(orderId, answers[i] as ReserveOutcome);
}

/**
 * Retries every order whose last outcome was a retryable error, `pauseMs` apart, until none is left
 * (or `attempts` rounds): what a client does after a fault. `outcomes` is updated in place.
 */
export async function settleRetries(
	broker: ServiceBroker,
	sku: string,
	outcomes: Map<string, ReserveOutcome>,
	{ attempts = 20, pauseMs = 100 } = {},
): Promise<void> {
	for (let attempt = 0; attempt < attempts; attempt++) {
		const pending = [...outcomes].filter(([, o]) => !o.ok && o.retryable).map(([orderId]) => orderId);
		if (pending.length === 0) return;
		await reserveAll(broker, sku, pending, outcomes);
		await sleep(pauseMs);
	}
}
