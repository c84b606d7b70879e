/**
 * Levenshtein distances bounded by a small maximum, for the few places the text library does not
 * tell us how a term matched (which query term an index term came from; a typo inside a prefix).
 */

/** The edit distance between `a` and `b` when it is at most `max`, else `max + 1`. */
export function editDistanceWithin(a: string, b: string, max: number): number {
	if (Math.abs(a.length - b.length) > max) return max + 1;
	const lastRow = lastRowOf(a, b, max);
	return Math.min(lastRow[b.length] as number, max + 1);
}

/**
 * The smallest edit distance between `prefix` and any prefix of `word` when it is at most `max`,
 * else `max + 1`: "mechen" is one edit from "mechan", a prefix of "mechanical".
 */
export function prefixEditDistanceWithin(prefix: string, word: string, max: number): number {
	if (word.length + max < prefix.length) return max + 1;
	const lastRow = lastRowOf(prefix, word, max);
	let best = max + 1;
	for (const distance of lastRow) if (distance < best) best = distance;
	return best;
}

/**
 * The DP row for all of `a` against every prefix of `b` (row[j] = distance(a, b[0..j))), with an
 * early exit once every cell of a row exceeds `max` (the row is then filled with `max + 1`).
 */
function lastRowOf(a: string, b: string, max: number): Uint16Array {
	let previous = new Uint16Array(b.length + 1);
	let current = new Uint16Array(b.length + 1);
	for (let j = 0; j <= b.length; j++) previous[j] = j;
	for (let i = 1; i <= a.length; i++) {
		current[0] = i;
		let rowMin = i;
		const ca = a.charCodeAt(i - 1);
		for (let j = 1; j <= b.length; j++) {
			const substitution = (previous[j - 1] as number) + (ca === b.charCodeAt(j - 1) ? 0 : 1);
			const deletion = (previous[j] as number) + 1;
			const insertion = (current[j - 1] as number) + 1;
			const value = Math.min(substitution, deletion, insertion);
			current[j] = value;
			if (value < rowMin) rowMin = value;
		}
		if (rowMin > max) return current.fill(max + 1);
		[previous, current] = [current, previous];
	}
	return previous;
}
