import { spreadHash32 } from "../../../lib/hash";

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
		const score = spreadHash32(`${id}\u0000${key}`);
		if (score > bestScore || (score === bestScore && id < bestId)) {
			best = candidate;
			bestScore = score;
			bestId = id;
		}
	}
	return best;
}
