import type { EventEnvelope } from "./event-envelope";
import type { OutboxRepository, OutboxRow } from "./outbox.repository";

export interface RelayOptions {
	claimBatch: number;
	leaseMs: number;
	maxAttempts: number;
	backoffBaseMs: number;
	backoffMaxMs: number;
}

export interface RelayObserver {
	published(count: number, latenciesMs: number[]): void;
	attemptFailed(envelope: EventEnvelope, attempts: number, failedForGood: boolean, err: Error): void;
}

/** Exponential backoff with full jitter, capped. */
export function backoffMs(attempts: number, baseMs: number, maxMs: number): number {
	const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
	return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/**
 * Publishes outbox rows: right after a commit (the ids just written) and on a timer (whatever is
 * still due). Each run leases its rows, so relays on several nodes never send a row at the same
 * time. Rows with the same key go out in commit order; different keys go out in parallel.
 */
export class OutboxRelay {
	private inFlight = 0;

	constructor(
		private readonly repository: OutboxRepository,
		private readonly publish: (envelope: EventEnvelope) => Promise<void>,
		private readonly options: RelayOptions,
		private readonly observer: RelayObserver,
	) {}

	get busy(): boolean {
		return this.inFlight > 0;
	}

	/** Publishes the given just-committed events (if no other relay took them first). */
	publishNow(eventIds: readonly string[]): Promise<number> {
		return this.run(eventIds);
	}

	/** Publishes everything due, batch after batch. */
	async drain(): Promise<number> {
		let total = 0;
		for (;;) {
			const sent = await this.run();
			total += sent.valueOf();
			if (sent < this.options.claimBatch) return total;
		}
	}

	private async run(eventIds?: readonly string[]): Promise<number> {
		this.inFlight++;
		try {
			const rows = await this.repository.claim(Date.now(), this.options.leaseMs, this.options.claimBatch, eventIds);
			if (rows.length === 0) return 0;
			const published = await this.sendInKeyOrder(rows);
			const now = Date.now();
			await this.repository.markPublished(
				published.map((r) => r.id),
				now,
			);
			if (published.length > 0) {
				this.observer.published(
					published.length,
					published.map((r) => now - r.createdAt),
				);
			}
			return rows.length;
		} finally {
			this.inFlight--;
		}
	}

	/** Sends each key's rows in order, keys in parallel; a failed row stops its key for this run. */
	private async sendInKeyOrder(rows: readonly OutboxRow[]): Promise<OutboxRow[]> {
		const byKey = new Map<string, OutboxRow[]>();
		for (const row of rows) {
			const list = byKey.get(row.envelope.key) ?? [];
			list.push(row);
			byKey.set(row.envelope.key, list);
		}
		const published: OutboxRow[] = [];
		await Promise.all(
			[...byKey.values()].map(async (list) => {
				for (let i = 0; i < list.length; i++) {
					const row = list[i] as OutboxRow;
					try {
						await this.publish(row.envelope);
						published.push(row);
					} catch (err) {
						// This row and the later rows of its key wait for the next attempt, keeping key order.
						for (const rest of list.slice(i)) await this.recordFailure(rest, err as Error, rest === row);
						return;
					}
				}
			}),
		);
		return published;
	}

	private async recordFailure(row: OutboxRow, err: Error, attempted: boolean): Promise<void> {
		const attempts = row.attempts + (attempted ? 1 : 0);
		const failedForGood = attempted && attempts >= this.options.maxAttempts;
		const next = Date.now() + backoffMs(Math.max(1, attempts), this.options.backoffBaseMs, this.options.backoffMaxMs);
		await this.repository.markAttemptFailed(row.id, attempts, next, err.message, failedForGood);
		if (attempted) this.observer.attemptFailed(row.envelope, attempts, failedForGood, err);
	}
}
