/** 32-bit FNV-1a of a string, then a murmur3 finalizer so similar inputs spread evenly. */
export function hash32(text: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) {
		h ^= text.charCodeAt(i);
		h = Math.imul(h, 0x01000193);
	}
	h ^= h >>> 16;
	h = Math.imul(h, 0x85ebca6b);
	h ^= h >>> 13;
	h = Math.imul(h, 0xc2b2ae35);
	h ^= h >>> 16;
	return h >>> 0;
}

/**
 * Rendezvous (highest-random-weight) hashing: the owner of `key` is the candidate with the highest
 * hash of (candidate, key). Removing a candidate moves only the keys it owned; adding one takes
 * about 1/n of the keys from the others. Ties (vanishingly rare) go to the smaller id.
 */
export function rendezvousOwner<T>(key: string, candidates: readonly T[], idOf: (c: T) => string): T | undefined {
	let best: T | undefined;
	let bestScore = -1;
	let bestId = "";
	for (const candidate of candidates) {
		const id = idOf(candidate);
		const score = hash32(`${id}\u0000${key}`);
		if (score > bestScore || (score === bestScore && id < bestId)) {
			best = candidate;
			bestScore = score;
			bestId = id;
		}
	}
	return best;
}
