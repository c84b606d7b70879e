/**
 * Back-pressure on new orders. When the saga is stuck or far behind (inventory down, the event broker
 * unreachable, a backlog of minutes), every new order would only wait with the others and likely time
 * out; so `POST /api/orders` answers 503 CHECKOUT_BUSY with `Retry-After` instead, before anything is
 * written.
 *
 * It is a guard against a stuck saga, not a rate limiter, and it is off unless ORDER_ADMISSION_MAX_LAGGING
 * is set: measured in bench:checkout, a lag bound of seconds tripped under plain saturation and halved the
 * orders confirmed per second (the refused clients came back together, and each refusal is a round trip
 * through the gateway), and even a 30 s bound tripped in a flash sale of 10,000 orders on a slow day, where
 * most orders are sold-out refusals that drain quickly anyway, and made the sale end later
 * (bench/CHECKOUT_RESULTS.md, 2026-12-07). A count of lagging orders cannot tell "stuck" from "busy";
 * the better signal would be progress (no stock decision for a while with orders waiting).
 *
 * "Behind" is read from the database, so that every orders node of a cluster agrees: at least
 * `maxLagging` orders have waited longer than `maxLagMs` for their stock decision (status PENDING, or
 * PAID before the stock). A few orders stuck for their own reasons (an event in the dead letters) do not
 * close checkout; a backlog does. The count is refreshed every `checkEveryMs` in the background, so a
 * POST never waits for it; a failed refresh keeps the last answer, and an answer older than
 * STALE_AFTER_CHECKS refreshes is dropped (admit), so a database problem never closes checkout by itself.
 */
export interface AdmissionSettings {
	/** An order waiting longer than this for its stock decision is lagging. */
	maxLagMs: number;
	/** This many lagging orders close checkout; 0 turns back-pressure off. */
	maxLagging: number;
	checkEveryMs: number;
}

export interface AdmissionObserver {
	/** The latest count of lagging orders (capped at maxLagging). */
	lagging(count: number): void;
	refused(): void;
	/** Checkout closed (`open` false) or opened again: once per change, for the log. */
	changed(open: boolean, lagging: number): void;
}

/** Counts orders waiting for their stock decision that were created before `createdBefore`, up to `limit`. */
export type LaggingCounter = (createdBefore: number, limit: number) => Promise<number>;

const STALE_AFTER_CHECKS = 8;

/** What a refused client is told to wait: long enough not to hammer a stuck saga, short enough to notice it is back. */
const RETRY_AFTER_S = 5;

export class CheckoutAdmission {
	private lagging = 0;
	private countedAt = 0;
	private timer: NodeJS.Timeout | undefined;
	private counting = false;

	constructor(
		private readonly countLagging: LaggingCounter,
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
		if (!this.enabled || this.lagging < this.settings.maxLagging) return 0;
		if (now - this.countedAt > STALE_AFTER_CHECKS * this.settings.checkEveryMs) return 0;
		this.observer.refused();
		return RETRY_AFTER_S;
	}

	/** Counts the lagging orders now (the background refresh calls it; tests may too). */
	async refresh(): Promise<void> {
		if (this.counting) return;
		this.counting = true;
		try {
			const now = Date.now();
			const wasOpen = this.lagging < this.settings.maxLagging;
			this.lagging = await this.countLagging(now - this.settings.maxLagMs, this.settings.maxLagging);
			this.countedAt = now;
			this.observer.lagging(this.lagging);
			const open = this.lagging < this.settings.maxLagging;
			if (open !== wasOpen) this.observer.changed(open, this.lagging);
		} catch {
			// Keep the last answer; it is dropped once stale (see retryAfterS).
		} finally {
			this.counting = false;
		}
	}
}
