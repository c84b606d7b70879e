/**
 * How many calls to one downstream service the gateway has under way at once (`concurrency`), and how many
 * more may wait for a slot (`maxQueue`). Past both, a call is refused at once instead of piling up behind a
 * slow service and taking the gateway's memory and sockets with it.
 */
export class Bulkhead {
	private running = 0;
	private readonly waiting: Array<() => void> = [];

	constructor(
		private readonly concurrency: number,
		private readonly maxQueue: number,
	) {}

	/** Takes a slot when one is free (no promise on this, the usual, path). */
	tryEnter(): boolean {
		if (this.running >= this.concurrency) return false;
		this.running++;
		return true;
	}

	/** Waits for a slot; `undefined` when the queue is full too (the call is refused). */
	enterWhenFree(): Promise<void> | undefined {
		if (this.tryEnter()) return Promise.resolve();
		if (this.waiting.length >= this.maxQueue) return undefined;
		return new Promise((resolve) => this.waiting.push(resolve));
	}

	/** Frees the slot, handing it straight to the first waiting call if there is one. */
	leave(): void {
		const next = this.waiting.shift();
		if (next) next();
		else this.running--;
	}

	get inUse(): number {
		return this.running;
	}

	get queued(): number {
		return this.waiting.length;
	}
}
