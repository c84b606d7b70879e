/**
 * How the embedded engine turns text into terms, the same way for documents and queries, so a query
 * term and an indexed term compare as plain strings.
 */

const COMBINING_MARKS = /[\u0300-\u036f]/g;
const WORD = /[\p{L}\p{N}]+/gu;

/** Lower case without accents: "Crème" and "creme" are one term. */
export function normalizeText(text: string): string {
	return text.normalize("NFD").replace(COMBINING_MARKS, "").toLowerCase();
}

/** Words of letters and digits; punctuation splits ("t-shirt" gives "t", "shirt"). */
export function tokenize(text: string): string[] {
	return normalizeText(text).match(WORD) ?? [];
}

/** Ranking rule 3: no edit below 4 characters, one up to 7, two from 8. */
export function allowedEdits(term: string): number {
	if (term.length >= 8) return 2;
	if (term.length >= 4) return 1;
	return 0;
}
