export interface BreakerSettings {
	/** Failed share of the calls in a window (0..1) that opens the breaker. */
	threshold: number;
	/** Calls in the window before the share counts: a few failures of a quiet service do not open it. */
	minRequests: number;
	windowMs: number;
	/** How long an open breaker refuses calls before it lets one trial call through. */
	halfOpenMs: number;
}

type State = "CLOSED" | "OPEN" | "HALF_OPEN";

/**
 * One downstream service's breaker at the gateway. Closed, it counts calls and failures in fixed windows;
 * when the failed share reaches the threshold it opens and refuses every call for `halfOpenMs` (the
 * service gets room to recover, the clients an answer at once); then one trial call goes through: its
 * success closes the breaker, its failure opens it again.
 */
export class CircuitBreaker {
	private state: State = "CLOSED";
	private openedAt = 0;
	private trialPending = false;
	private windowStartedAt = 0;
	private calls = 0;
	private failures = 0;

	constructor(
		private readonly settings: BreakerSettings,
		private readonly now: () => number = Date.now,
	) {}

	/**
	 * 0 when a call may go now (in half-open state it is the trial, whose outcome must be reported), else
	 * the milliseconds until the breaker lets a call through again.
	 */
	waitMs(): number {
		if (this.state === "CLOSED") return 0;
		if (this.state === "OPEN") {
			const left = this.openedAt + this.settings.halfOpenMs - this.now();
			if (left > 0) return left;
			this.state = "HALF_OPEN";
			this.trialPending = false;
		}
		// Half-open: one trial at a time; the others come back when it has had time to answer.
		if (this.trialPending) return this.settings.halfOpenMs;
		this.trialPending = true;
		return 0;
	}

	/** Milliseconds the breaker still refuses calls; 0 when it is closed or waits for its trial. */
	openForMs(): number {
		return this.state === "OPEN" ? Math.max(0, this.openedAt + this.settings.halfOpenMs - this.now()) : 0;
	}

	succeeded(): void {
		if (this.state === "HALF_OPEN") this.close();
		else if (this.state === "CLOSED") this.count(false);
	}

	failed(): void {
		if (this.state === "HALF_OPEN") this.open();
		else if (this.state === "CLOSED") this.count(true);
	}

	get isOpen(): boolean {
		return this.state !== "CLOSED";
	}

	private count(failed: boolean): void {
		const now = this.now();
		if (now - this.windowStartedAt >= this.settings.windowMs) {
			this.windowStartedAt = now;
			this.calls = 0;
			this.failures = 0;
		}
		this.calls++;
		if (failed) this.failures++;
		if (failed && this.calls >= this.settings.minRequests && this.failures / this.calls >= this.settings.threshold) {
			this.open();
		}
	}

	private open(): void {
		this.state = "OPEN";
		this.openedAt = this.now();
		this.trialPending = false;
	}

	private close(): void {
		this.state = "CLOSED";
		this.trialPending = false;
		this.windowStartedAt = this.now();
		this.calls = 0;
		this.failures = 0;
	}
}
