import type { Suggestion } from "../search-engine";
import type { IndexedProduct, ProductIndex } from "./product-index";
import { byName } from "./product-index";
import { autocompleteTerms } from "./query-terms";
import { startsWithPhrase } from "./run-search";
import { tokenize } from "./text-analysis";

interface Ranked {
	product: IndexedProduct;
	startsWith: boolean;
	edits: number;
	score: number;
}

/**
 * Active products whose name matches what is typed so far: names starting with it first, then
 * matches without a typo, then the library's score, then by name.
 */
export function runAutocomplete(index: ProductIndex, prefix: string, limit: number): Suggestion[] {
	const tokens = tokenize(prefix);
	if (tokens.length === 0 || limit <= 0) return [];
	const terms = autocompleteTerms(tokens, index.nameVocabulary());
	const ranked: Ranked[] = [];
	for (const match of index.text.search(terms, ["name"])) {
		const product = index.get(match.id);
		if (!product?.document.active) continue;
		ranked.push({
			product,
			startsWith: startsWithPhrase(product.nameTerms, tokens),
			edits: match.typoEdits,
			score: match.score,
		});
	}
	ranked.sort(
		(a, b) =>
			Number(b.startsWith) - Number(a.startsWith) ||
			a.edits - b.edits ||
			b.score - a.score ||
			byName(a.product, b.product),
	);
	return ranked.slice(0, limit).map(({ product: { document } }) => ({
		text: document.name,
		id: document.id,
		sku: document.sku,
	}));
}
