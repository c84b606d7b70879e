import MiniSearch, { type Query } from "minisearch";
import { TermMatcher } from "./term-match";
import { tokenize } from "./text-analysis";
import type { QueryTerm, TextField, TextIndex, TextMatch } from "./text-index";

interface IndexedText {
	id: string;
	name: string;
	description: string;
}

/** A name match weighs more than a description match in the library's own score too. */
const FIELD_BOOST = { name: 3, description: 1 };

/** MiniSearch (BM25+ over a radix tree) doing the text matching and scoring. */
export class MiniSearchTextIndex implements TextIndex {
	private readonly index = new MiniSearch<IndexedText>({
		fields: ["name", "description"],
		idField: "id",
		tokenize,
		// Terms come out of `tokenize` already normalized.
		processTerm: (term) => term,
		searchOptions: { boost: FIELD_BOOST, combineWith: "AND" },
	});

	add(document: IndexedText): void {
		this.index.add({ id: document.id, name: document.name, description: document.description });
	}

	remove(id: string): void {
		this.index.discard(id);
	}

	search(terms: readonly QueryTerm[], fields: readonly TextField[]): TextMatch[] {
		if (terms.length === 0) return [];
		const query: Query = { combineWith: "AND", queries: terms.map(queryFor) };
		const results = this.index.search(query, { fields: [...fields] });
		const matcher = new TermMatcher(terms);
		return results.map((result) => ({
			id: String(result.id),
			score: result.score,
			...matcher.summarize(result.match),
		}));
	}
}

/** One query term as a MiniSearch sub-query: the term itself (prefix, fuzzy) or any of its alternatives. */
function queryFor(term: QueryTerm): Query {
	const own: Query = {
		combineWith: "OR",
		queries: [term.text],
		prefix: term.prefix,
		fuzzy: term.maxEdits > 0 ? term.maxEdits : false,
	};
	if (term.alternatives.length === 0) return own;
	return {
		combineWith: "OR",
		queries: [own, { combineWith: "OR", queries: [...term.alternatives], prefix: false, fuzzy: false }],
	};
}
