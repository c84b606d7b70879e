/**
 * Back-pressure on new orders when the saga is stuck. If inventory is down or the event broker
 * unreachable, every new order would only wait with the others and time out after the payment wait; so
 * `POST /api/orders` answers 503 CHECKOUT_BUSY with `Retry-After` instead, before anything is written.
 *
 * "Stuck" is read from the database, so that every orders node of a cluster agrees, and needs both:
 * - at least `maxLagging` orders have waited longer than `maxLagMs` for their stock decision (status
 *   PENDING, or PAID before the stock): a few orders stuck for their own reasons (an event in the dead
 *   letters) do not close checkout;
 * - and no stock decision at all was recorded for `stallMs`: a saga that is merely busy (a flash sale, a
 *   backlog above its capacity) keeps deciding, and holding its shoppers back only made it end later.
 *   Measured with the lag count alone, checkout closed at plain saturation and in a 10,000-order flash
 *   sale, and both ran slower for it (bench/CHECKOUT_RESULTS.md, 2026-12-07).
 * Both are read every `checkEveryMs` in the background, so a POST never waits for them; a failed read
 * keeps the last answer, and an answer older than STALE_AFTER_CHECKS reads is dropped (admit), so a
 * database problem never closes checkout by itself.
 */
export interface AdmissionSettings {
	/** An order waiting longer than this for its stock decision is lagging. */
	maxLagMs: number;
	/** This many lagging orders (with no stock decision for stallMs) close checkout; 0 turns back-pressure off. */
	maxLagging: number;
	/** How long without any stock decision counts as stuck. */
	stallMs: number;
	checkEveryMs: number;
}

export interface AdmissionObserver {
	/** The latest count of lagging orders (capped at maxLagging). */
	lagging(count: number): void;
	refused(): void;
	/** Checkout closed (`open` false) or opened again: once per change, for the log. */
	changed(open: boolean, lagging: number): void;
}

/** What admission reads from the orders database. */
export interface SagaProgress {
	/** Orders waiting for their stock decision that were created before `createdBefore`, up to `limit`. */
	countLagging(createdBefore: number, limit: number): Promise<number>;
	/** When the latest stock decision was recorded (epoch ms; 0 if none). */
	lastStockDecisionAt(): Promise<number>;
}

const STALE_AFTER_CHECKS = 8;

/** What a refused client is told to wait: long enough not to hammer a stuck saga, short enough to notice it is back. */
const RETRY_AFTER_S = 5;

export class CheckoutAdmission {
	private open = true;
	private checkedAt = 0;
	private timer: NodeJS.Timeout | undefined;
	private checking = false;

	constructor(
		private readonly progress: SagaProgress,
		private readonly settings: AdmissionSettings,
		private readonly observer: AdmissionObserver,
	) {}

	get enabled(): boolean {
		return this.settings.maxLagging > 0;
	}

	start(): void {
		if (!this.enabled) return;
		this.timer = setInterval(() => void this.refresh(), this.settings.checkEveryMs);
		this.timer.unref();
		void this.refresh();
	}

	stop(): void {
		clearInterval(this.timer);
		this.timer = undefined;
	}

	/** Seconds the client should wait before trying again, or 0 when a new order is admitted now. */
	retryAfterS(now = Date.now()): number {
		if (!this.enabled || this.open) return 0;
		if (now - this.checkedAt > STALE_AFTER_CHECKS * this.settings.checkEveryMs) return 0;
		this.observer.refused();
		return RETRY_AFTER_S;
	}

	/** Reads the saga's progress now (the background refresh calls it). */
	async refresh(): Promise<void> {
		if (this.checking) return;
		this.checking = true;
		try {
			const now = Date.now();
			const lagging = await this.progress.countLagging(now - this.settings.maxLagMs, this.settings.maxLagging);
			// The last decision matters only when enough orders lag: a healthy saga costs one bounded count.
			const stuck =
				lagging >= this.settings.maxLagging &&
				now - (await this.progress.lastStockDecisionAt()) > this.settings.stallMs;
			this.checkedAt = now;
			this.observer.lagging(lagging);
			if (this.open === stuck) {
				this.open = !stuck;
				this.observer.changed(this.open, lagging);
			}
		} catch {
			// Keep the last answer; it is dropped once stale (see retryAfterS).
		} finally {
			this.checking = false;
		}
	}
}
