/**
 * What a shopper may type into search. The engines never parse query syntax (the text goes into
 * match queries, not `query_string`), but a query made of syntax (`name:x*`, `(a OR b)^3`) is not a
 * shopper's, and passing it on would make the engines' behaviour part of our contract. So: letters
 * of any script, digits, spaces and the punctuation product names use (t-shirt, 3.5 mm, O'Neill,
 * R&B, 1/2, C++, 100%, #1). Anything else is a 400 naming the field.
 */
export const SEARCH_TEXT = /^[\p{L}\p{M}\p{N} '’.,&/+#%-]*$/u;

export const MAX_QUERY_LENGTH = 100;
export const MAX_PREFIX_LENGTH = 50;

/** Whether `text` is a query the search service accepts (also for products' `?q=`, which falls back to SQL otherwise). */
export function isSearchableText(text: string, maxLength = MAX_QUERY_LENGTH): boolean {
	const trimmed = text.trim();
	return trimmed.length > 0 && trimmed.length <= maxLength && SEARCH_TEXT.test(trimmed);
}
