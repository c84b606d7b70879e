import { randomUUID } from "node:crypto";
import type { EventEnvelope } from "./event-envelope";
import type { BatchPublisher } from "./event-publisher";
import type { Lease, OutboxRepository, OutboxRow } from "./outbox.repository";
import { retryWithBackoff } from "./retry-with-backoff";

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

/** At most this many rows are marked published by one UPDATE. */
const MAX_ROWS_PER_MARK = 500;
/** A failed mark is tried again this many times: its rows were published, sending them again is the cost. */
const MARK_ATTEMPTS = 3;

/** An UPDATE marking rows published that has not started yet: every send that adds rows to it waits for it. */
interface NextMark {
	rows: OutboxRow[];
	done: Promise<void>;
	settle(error?: unknown): void;
}

function nextMark(): NextMark {
	let settle: NextMark["settle"] = () => undefined;
	const done = new Promise<void>((resolve, reject) => {
		settle = (error) => (error === undefined ? resolve() : reject(error));
	});
	return { rows: [], done, settle };
}

/**
 * Publishes outbox rows. Right after a commit it sends the events that were inserted leased to it (no
 * claim round trip); on a timer, and for events that were queued behind an earlier event of their key, it
 * claims due rows. Leases keep relays on several nodes from sending a row at the same time. Rows with the
 * same key go out in commit order; different keys go out together.
 *
 * Each send is published at once, but its rows are marked published by an UPDATE shared with the sends
 * that finish while another mark is under way: under load many commits share one `markPublished` UPDATE
 * (a durable commit of its own); alone, a send is marked at once. Sends are not merged the same way: a
 * produce request that spans partitions is retried whole by kafkajs when one partition fails, which would
 * publish the others' events twice.
 */
export class OutboxRelay {
	private inFlight = 0;
	/** Marks waiting for the one under way to finish (each of at most MAX_ROWS_PER_MARK rows). */
	private readonly marksWaiting: NextMark[] = [];
	private marking = false;
	/** Identifies this relay's leases on rows it inserted. */
	private readonly token = randomUUID();
	/** Events queued behind an in-flight event of their key wait for a drain (instead of the next tick). */
	private successorsWaiting = false;

	constructor(
		private readonly repository: OutboxRepository,
		private readonly publish: BatchPublisher,
		private readonly options: RelayOptions,
		private readonly observer: RelayObserver,
	) {}

	get busy(): boolean {
		return this.inFlight > 0 || this.marking;
	}

	/** The lease to insert new events with (see OutboxRepository.insert). */
	newLease(now = Date.now()): Lease {
		return { token: this.token, until: now + this.options.leaseMs };
	}

	/**
	 * After a commit: publishes the events inserted leased to this relay, then claims and publishes those
	 * that were queued behind earlier events of their keys (if they are due by then).
	 */
	async afterCommit(leased: readonly OutboxRow[], queuedIds: readonly string[]): Promise<void> {
		let progressed = false;
		if (leased.length > 0) progressed = (await this.track(() => this.sendAndMark(leased))) > 0;
		if (queuedIds.length > 0) {
			const claimed = await this.track(() => this.claimAndSend(queuedIds));
			// Not due yet: an earlier event of the key is still in flight. Its publisher drains once it is done.
			if (claimed < queuedIds.length) this.successorsWaiting = true;
			progressed ||= claimed > 0;
		}
		if (progressed && this.successorsWaiting) {
			this.successorsWaiting = false;
			await this.drain();
		}
	}

	/** Publishes everything due, batch after batch. */
	async drain(): Promise<number> {
		let total = 0;
		for (;;) {
			const claimed = await this.track(() => this.claimAndSend());
			total += claimed;
			if (claimed < this.options.claimBatch) return total;
		}
	}

	private async track<T>(work: () => Promise<T>): Promise<T> {
		this.inFlight++;
		try {
			return await work();
		} finally {
			this.inFlight--;
		}
	}

	/** Claims due rows (only `eventIds`, when given), publishes them; returns how many were claimed. */
	private async claimAndSend(eventIds?: readonly string[]): Promise<number> {
		const rows = await this.repository.claim(Date.now(), this.options.leaseMs, this.options.claimBatch, eventIds);
		if (rows.length > 0) await this.sendAndMark(rows);
		return rows.length;
	}

	private async sendAndMark(rows: readonly OutboxRow[]): Promise<number> {
		const published = await this.sendInKeyOrder(rows);
		if (published.length > 0) await this.markPublished(published);
		return published.length;
	}

	/** Adds rows to the next mark, starting it if none is under way; resolves once they are marked. */
	private markPublished(rows: readonly OutboxRow[]): Promise<void> {
		let open = this.marksWaiting.at(-1);
		if (!open || open.rows.length >= MAX_ROWS_PER_MARK) {
			open = nextMark();
			this.marksWaiting.push(open);
		}
		open.rows.push(...rows);
		if (!this.marking) void this.markWaiting();
		return open.done;
	}

	/** Runs the waiting marks one after another, including those that fill up meanwhile. */
	private async markWaiting(): Promise<void> {
		this.marking = true;
		try {
			for (let mark = this.marksWaiting.shift(); mark; mark = this.marksWaiting.shift()) {
				try {
					await this.markOnce(mark.rows);
					mark.settle();
				} catch (error) {
					mark.settle(error ?? new Error("markPublished failed"));
				}
			}
		} finally {
			this.marking = false;
		}
	}

	private async markOnce(rows: readonly OutboxRow[]): Promise<void> {
		let attempts = 0;
		const markedAt = await retryWithBackoff(
			async () => {
				attempts++;
				const now = Date.now();
				await this.repository.markPublished(
					rows.map((r) => r.eventId),
					now,
				);
				return now;
			},
			{ giveUp: () => attempts >= MARK_ATTEMPTS, firstDelayMs: 100 },
		);
		this.observer.published(
			rows.length,
			rows.map((r) => markedAt - r.createdAt),
		);
	}

	/**
	 * Publishes the rows in waves: the first row of every key, then the second, and so on (a claim
	 * normally holds one row per key, so one wave). Each wave goes out as one batch; a failed row holds
	 * back the later rows of its key until the next attempt, keeping key order.
	 */
	private async sendInKeyOrder(rows: readonly OutboxRow[]): Promise<OutboxRow[]> {
		const byKey = new Map<string, OutboxRow[]>();
		for (const row of rows) {
			const list = byKey.get(row.envelope.key) ?? [];
			list.push(row);
			byKey.set(row.envelope.key, list);
		}
		const published: OutboxRow[] = [];
		for (let wave = 0; byKey.size > 0; wave++) {
			const batch = [...byKey.values()].map((list) => list[wave] as OutboxRow);
			const outcomes = await this.publish(batch.map((row) => row.envelope));
			for (const [i, row] of batch.entries()) {
				const list = byKey.get(row.envelope.key) as OutboxRow[];
				const err = outcomes[i];
				if (err) {
					for (const rest of list.slice(wave)) await this.recordFailure(rest, err, rest === row);
					byKey.delete(row.envelope.key);
				} else {
					published.push(row);
					if (list.length === wave + 1) byKey.delete(row.envelope.key);
				}
			}
		}
		return published;
	}

	private async recordFailure(row: OutboxRow, err: Error, attempted: boolean): Promise<void> {
		const attempts = row.attempts + (attempted ? 1 : 0);
		const failedForGood = attempted && attempts >= this.options.maxAttempts;
		const next = Date.now() + backoffMs(Math.max(1, attempts), this.options.backoffBaseMs, this.options.backoffMaxMs);
		await this.repository.markAttemptFailed(row.eventId, attempts, next, err.message, failedForGood);
		if (attempted) this.observer.attemptFailed(row.envelope, attempts, failedForGood, err);
	}
}
