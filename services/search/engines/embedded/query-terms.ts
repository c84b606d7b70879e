import { prefixEditDistanceWithin } from "./edit-distance";
import { allowedEdits } from "./text-analysis";
import type { QueryTerm } from "./text-index";

/**
 * Search terms: each typo-tolerant by its length (rule 3), the last also a prefix (rule 4). Two
 * neighbouring letters typed in the wrong order ("postre") are one edit, as in OpenSearch's fuzzy
 * queries, but two to the library's Levenshtein distance: the swapped spellings ride along as
 * alternatives.
 */
export function searchTerms(tokens: readonly string[]): QueryTerm[] {
	return tokens.map((text, i) => {
		const maxEdits = allowedEdits(text);
		return {
			text,
			prefix: i === tokens.length - 1,
			maxEdits,
			alternatives: maxEdits > 0 ? transpositionsOf(text) : [],
		};
	});
}

/** Every spelling of `text` with one pair of neighbouring (different) letters swapped. */
export function transpositionsOf(text: string): string[] {
	const spellings: string[] = [];
	for (let i = 0; i + 1 < text.length; i++) {
		if (text[i] === text[i + 1]) continue;
		spellings.push(text.slice(0, i) + text[i + 1] + text[i] + text.slice(i + 2));
	}
	return spellings;
}

/**
 * Autocomplete terms: as for search, and the last term, a prefix being typed, also matches the name
 * words that start with a near miss of it ("mechen" reaches "mechanical" through "mechan").
 */
export function autocompleteTerms(tokens: readonly string[], nameVocabulary: readonly string[]): QueryTerm[] {
	const terms = searchTerms(tokens);
	const last = terms[terms.length - 1];
	if (!last || last.maxEdits === 0) return terms;
	const nearMisses = nameVocabulary.filter(
		(word) => !word.startsWith(last.text) && prefixEditDistanceWithin(last.text, word, last.maxEdits) <= last.maxEdits,
	);
	const alternatives = [...new Set([...last.alternatives, ...nearMisses])];
	terms[terms.length - 1] = { ...last, alternatives };
	return terms;
}
