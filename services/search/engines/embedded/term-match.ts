import { editDistanceWithin, prefixEditDistanceWithin } from "./edit-distance";
import type { QueryTerm } from "./text-index";

/**
 * The edits `indexTerm` needs to satisfy `term`: 0 when equal or (for a prefix term) an extension of
 * it, else the edit distance (to a prefix, for an alternative) within the term's budget, else null.
 * The text library reports which index terms matched, not for which query term nor how closely;
 * this recovers both.
 */
export function editsToMatch(term: QueryTerm, indexTerm: string): number | null {
	if (indexTerm === term.text || (term.prefix && indexTerm.startsWith(term.text))) return 0;
	if (term.alternatives.includes(indexTerm)) {
		if (isTransposition(term.text, indexTerm)) return 1;
		return Math.max(1, prefixEditDistanceWithin(term.text, indexTerm, term.maxEdits));
	}
	if (term.maxEdits === 0) return null;
	const distance = editDistanceWithin(term.text, indexTerm, term.maxEdits);
	return distance <= term.maxEdits ? distance : null;
}

/** Whether `b` is `a` with one pair of neighbouring letters swapped. */
function isTransposition(a: string, b: string): boolean {
	if (a.length !== b.length) return false;
	let first = -1;
	for (let i = 0; i < a.length; i++) {
		if (a[i] === b[i]) continue;
		if (first !== -1)
			return i === first + 1 && a[first] === b[i] && a[i] === b[first] && a.slice(i + 1) === b.slice(i + 1);
		first = i;
	}
	return false;
}

/** Per query term, the edits an index term needs; memoized over one query's distinct index terms. */
export class TermMatcher {
	private readonly memo = new Map<string, Array<number | null>>();

	constructor(private readonly terms: readonly QueryTerm[]) {}

	edits(indexTerm: string): Array<number | null> {
		let edits = this.memo.get(indexTerm);
		if (!edits) {
			edits = this.terms.map((term) => editsToMatch(term, indexTerm));
			this.memo.set(indexTerm, edits);
		}
		return edits;
	}

	/** Summarizes one document's matched index terms, each with the fields it matched in. */
	summarize(matched: Readonly<Record<string, readonly string[]>>): { termsInName: number; typoEdits: number } {
		const count = this.terms.length;
		const inName = new Uint8Array(count);
		// Per query term, the fewest edits of the index terms it matched (255: none matched).
		const fewestEdits = new Uint8Array(count).fill(255);
		for (const indexTerm in matched) {
			const edits = this.edits(indexTerm);
			const matchedInName = (matched[indexTerm] as readonly string[]).includes("name");
			for (let i = 0; i < count; i++) {
				const needed = edits[i];
				if (needed === null || needed === undefined) continue;
				if (needed < (fewestEdits[i] as number)) fewestEdits[i] = needed;
				if (matchedInName) inName[i] = 1;
			}
		}
		let termsInName = 0;
		let typoEdits = 0;
		for (let i = 0; i < count; i++) {
			termsInName += inName[i] as number;
			if (fewestEdits[i] !== 255) typoEdits += fewestEdits[i] as number;
		}
		return { termsInName, typoEdits };
	}
}
