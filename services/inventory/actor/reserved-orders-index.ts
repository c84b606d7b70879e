import { fnv1a32 } from "../../../lib/hash";

/**
 * Which reservation ids a SKU holds, for a SKU with more reservations than its actor keeps in memory:
 * 4 bytes per reservation (a sorted array of 32-bit hashes, plus a set of those added since it was
 * built) instead of the reservation itself, so a million fit in 4 MB. It answers "certainly not"
 * (a sold-out reserve from a new order is refused from memory) or "maybe" (a hash collision, about
 * one in 4,000 at a million reservations, or the order really did reserve: the actor then goes the
 * usual way, through a batch and the database). Never "not" for an id it was given.
 */
export class ReservedOrdersIndex {
	private readonly sorted: Uint32Array;
	private readonly added = new Set<number>();

	private constructor(hashes: number[]) {
		this.sorted = Uint32Array.from(hashes).sort();
	}

	static of(reservationIds: Iterable<string>): ReservedOrdersIndex {
		return new ReservedOrdersIndex(Array.from(reservationIds, fnv1a32));
	}

	/** Built from the stored ids a page at a time, so that only their hashes are ever held together. */
	static async fromPages(pages: AsyncIterable<readonly string[]>): Promise<ReservedOrdersIndex> {
		const hashes: number[] = [];
		for await (const page of pages) for (const id of page) hashes.push(fnv1a32(id));
		return new ReservedOrdersIndex(hashes);
	}

	get size(): number {
		return this.sorted.length + this.added.size;
	}

	add(reservationId: string): void {
		this.added.add(fnv1a32(reservationId));
	}

	mayContain(reservationId: string): boolean {
		const hash = fnv1a32(reservationId);
		if (this.added.has(hash)) return true;
		let low = 0;
		let high = this.sorted.length - 1;
		while (low <= high) {
			const middle = (low + high) >>> 1;
			const value = this.sorted[middle] as number;
			if (value === hash) return true;
			if (value < hash) low = middle + 1;
			else high = middle - 1;
		}
		return false;
	}
}

/** Reservation ids read per query while an index is built. */
const PAGE_SIZE = 10_000;
/** After a failed read, callers go without the index this long before it is read again. */
const RETRY_MS = 5_000;

/**
 * One SKU's ReservedOrdersIndex over time: read in the background when first asked for, then kept
 * up to date with every reservation the actor decides, and dropped whenever the actor drops its
 * state (another writer may have added rows). Until it is there, it proves nothing.
 */
export class ReservedOrders {
	private index: ReservedOrdersIndex | null = null;
	/** While the index is read: the ids decided meanwhile (added once it is read). */
	private reading: { generation: number; decidedMeanwhile: string[] } | null = null;
	private retryAt = 0;
	/** Bumped by drop(): a read that began before is thrown away. */
	private generation = 0;

	constructor(private readonly readPages: (pageSize: number) => AsyncIterable<readonly string[]>) {}

	get ready(): boolean {
		return this.index !== null;
	}

	/** True only when the index is there and the id is certainly not in it. */
	certainlyAbsent(reservationId: string): boolean {
		return this.index !== null && !this.index.mayContain(reservationId);
	}

	/**
	 * Starts reading the index unless it is there or on its way. `undecided`: the ids of batches decided
	 * but maybe not committed yet, which the read may miss; asked for only when a read starts (every
	 * sold-out refusal calls this while the index is on its way).
	 */
	read(undecided: () => readonly string[]): void {
		if (this.index || this.reading || Date.now() < this.retryAt) return;
		const reading = { generation: this.generation, decidedMeanwhile: [...undecided()] };
		this.reading = reading;
		ReservedOrdersIndex.fromPages(this.readPages(PAGE_SIZE))
			.then(
				(index) => {
					if (reading.generation !== this.generation) return;
					for (const id of reading.decidedMeanwhile) index.add(id);
					this.index = index;
				},
				() => {
					this.retryAt = Date.now() + RETRY_MS;
				},
			)
			.finally(() => {
				if (this.reading === reading) this.reading = null;
			});
	}

	/** A reservation the actor decided (maybe not committed yet). */
	added(reservationId: string): void {
		this.index?.add(reservationId);
		this.reading?.decidedMeanwhile.push(reservationId);
	}

	drop(): void {
		this.index = null;
		this.generation++;
	}
}
