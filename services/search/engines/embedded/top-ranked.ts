/**
 * The first `count` items of `items` in `compare` order, without sorting the rest: a page of a query
 * matching most of a large catalog needs its top few dozen, not 50,000 sorted items.
 */
export function topRanked<T>(items: readonly T[], count: number, compare: (a: T, b: T) => number): T[] {
	if (count <= 0) return [];
	// Below this ratio a full sort is as quick and simpler.
	if (items.length <= count * 8) return [...items].sort(compare).slice(0, count);
	// A max-heap (by `compare`) of the best `count` so far: its root is the worst of them.
	const heap: T[] = [];
	const worse = (i: number, j: number) => compare(heap[i] as T, heap[j] as T) > 0;
	const swap = (i: number, j: number) => {
		const t = heap[i] as T;
		heap[i] = heap[j] as T;
		heap[j] = t;
	};
	const siftDown = (from: number) => {
		let i = from;
		for (;;) {
			const left = 2 * i + 1;
			const right = left + 1;
			let largest = i;
			if (left < heap.length && worse(left, largest)) largest = left;
			if (right < heap.length && worse(right, largest)) largest = right;
			if (largest === i) return;
			swap(i, largest);
			i = largest;
		}
	};
	for (const item of items) {
		if (heap.length < count) {
			heap.push(item);
			let i = heap.length - 1;
			while (i > 0) {
				const parent = (i - 1) >> 1;
				if (!worse(i, parent)) break;
				swap(i, parent);
				i = parent;
			}
		} else if (compare(item, heap[0] as T) < 0) {
			heap[0] = item;
			siftDown(0);
		}
	}
	return heap.sort(compare);
}
