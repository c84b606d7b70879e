import { prefixEditDistanceWithin } from "./edit-distance";
import { allowedEdits } from "./text-analysis";
import type { QueryTerm } from "./text-index";

/** Search terms: each typo-tolerant by its length (rule 3), the last also a prefix (rule 4). */
export function searchTerms(tokens: readonly string[]): QueryTerm[] {
	return tokens.map((text, i) => ({
		text,
		prefix: i === tokens.length - 1,
		maxEdits: allowedEdits(text),
		alternatives: [],
	}));
}

/**
 * Autocomplete terms: as for search, and the last term, a prefix being typed, also matches the name
 * words that start with a near miss of it ("mechen" reaches "mechanical" through "mechan").
 */
export function autocompleteTerms(tokens: readonly string[], nameVocabulary: readonly string[]): QueryTerm[] {
	const terms = searchTerms(tokens);
	const last = terms[terms.length - 1];
	if (!last || last.maxEdits === 0) return terms;
	const alternatives = nameVocabulary.filter(
		(word) => !word.startsWith(last.text) && prefixEditDistanceWithin(last.text, word, last.maxEdits) <= last.maxEdits,
	);
	terms[terms.length - 1] = { ...last, alternatives };
	return terms;
}
