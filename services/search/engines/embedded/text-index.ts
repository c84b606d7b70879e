/**
 * The seam between the embedded engine and the full-text library: the library matches and scores
 * terms; versions, filters, facets, tiers and paging stay in the engine.
 */

export type TextField = "name" | "description";

/** One term of a query, with how loosely it may match. */
export interface QueryTerm {
	text: string;
	/** Also matches index terms starting with `text` (the last term, rule 4). */
	prefix: boolean;
	/** Edits tolerated (rule 3); 0 for none. */
	maxEdits: number;
	/** Index terms that also count as this term (typo-tolerant prefix expansions for autocomplete). */
	alternatives: readonly string[];
}

export interface TextMatch {
	id: string;
	/** The library's own score; higher is better. */
	score: number;
	/** How many query terms matched in the name. */
	termsInName: number;
	/** Edits summed over the query terms (0 for a term matched as typed or as a prefix): closer spellings first. */
	typoEdits: number;
}

export interface TextIndex {
	add(document: { id: string; name: string; description: string }): void;
	remove(id: string): void;
	/** Documents matching every term (in any of `fields`), in no particular order. */
	search(terms: readonly QueryTerm[], fields: readonly TextField[]): TextMatch[];
}
