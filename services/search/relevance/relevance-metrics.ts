/**
 * Ranking-quality measures over one query's results, as pure functions of the ranked SKUs and the
 * curated judgements. Grades: 3 = the product the shopper means, 2 = a good alternative,
 * 1 = acceptable; a product without a judgement counts as grade 0 (not relevant).
 */

export type Grade = 1 | 2 | 3;

export interface GradedProduct {
	sku: string;
	grade: Grade;
}

/** The cut-off of every measure here: one page of results, as a shopper sees it. */
export const RELEVANCE_CUTOFF = 10;

/**
 * A query passes only if nDCG@10 reaches this. 0.6 tolerates confusers between the judged
 * products (the best first, then three confusers, then the rest scores ~0.83), but not the judged
 * products pushed down the page or missing from it. Note that with a single judged product this
 * means rank 1 or 2 (1/log2(3) = 0.63; rank 3 gives 0.5).
 */
export const PASS_MIN_NDCG = 0.6;

/** The product the shopper means must be visible without scrolling: the first row of results. */
export const PASS_BEST_WITHIN_TOP = 3;

/** A SKU is an identifier, not a search: the contract puts an exact SKU match first, so nothing less will do. */
export const PASS_SKU_BEST_WITHIN_TOP = 1;

/** Exponential gain, so that one product the shopper means outweighs several merely acceptable ones. */
export function gain(grade: number): number {
	return 2 ** grade - 1;
}

/** DCG of grades in ranked order (rank 1 first), discounted by log2(rank + 1), over the first `k`. */
export function dcg(gradesInRankOrder: readonly number[], k = RELEVANCE_CUTOFF): number {
	let sum = 0;
	for (let i = 0; i < Math.min(k, gradesInRankOrder.length); i++) {
		sum += gain(gradesInRankOrder[i] ?? 0) / Math.log2(i + 2);
	}
	return sum;
}

/**
 * The grade of each ranked SKU, 0 when unjudged. A SKU listed twice (an engine bug) earns its
 * grade only the first time, so duplicates cannot lift nDCG above 1.
 */
export function gradesInRankOrder(rankedSkus: readonly string[], expected: readonly GradedProduct[]): number[] {
	const remaining = new Map(expected.map((e) => [e.sku, e.grade]));
	return rankedSkus.map((sku) => {
		const grade = remaining.get(sku) ?? 0;
		remaining.delete(sku);
		return grade;
	});
}

/** DCG of the ranking divided by the DCG of the ideal one (the judgements sorted by grade); 0 with no judgements. */
export function ndcg(rankedSkus: readonly string[], expected: readonly GradedProduct[], k = RELEVANCE_CUTOFF): number {
	const ideal = dcg(
		expected.map((e) => e.grade).sort((a, b) => b - a),
		k,
	);
	if (ideal === 0) return 0;
	return dcg(gradesInRankOrder(rankedSkus, expected), k) / ideal;
}

/** 1 / the rank of the first result that has any judgement (grade >= 1); 0 when none is within the first `k`. */
export function reciprocalRank(
	rankedSkus: readonly string[],
	expected: readonly GradedProduct[],
	k = RELEVANCE_CUTOFF,
): number {
	const judged = new Set(expected.map((e) => e.sku));
	const index = rankedSkus.slice(0, k).findIndex((sku) => judged.has(sku));
	return index < 0 ? 0 : 1 / (index + 1);
}

/** The judgements, highest grade first (stable within a grade: the curator's order). */
export function byGradeDescending(expected: readonly GradedProduct[]): GradedProduct[] {
	return [...expected].sort((a, b) => b.grade - a.grade);
}

/** The SKUs that carry the highest grade among the judgements (several when products are equally meant). */
export function bestSkus(expected: readonly GradedProduct[]): string[] {
	const top = Math.max(...expected.map((e) => e.grade));
	return expected.filter((e) => e.grade === top).map((e) => e.sku);
}

/**
 * A query passes when a product of the highest expected grade is within the top
 * PASS_BEST_WITHIN_TOP (PASS_SKU_BEST_WITHIN_TOP for a SKU lookup) and nDCG@10 >= PASS_MIN_NDCG.
 * With several products at the highest grade, any one of them near the top satisfies the shopper.
 */
export function queryPasses(
	rankedSkus: readonly string[],
	expected: readonly GradedProduct[],
	intent: string,
): boolean {
	if (expected.length === 0) return false;
	const within = intent === "sku" ? PASS_SKU_BEST_WITHIN_TOP : PASS_BEST_WITHIN_TOP;
	const best = new Set(bestSkus(expected));
	const bestSeen = rankedSkus.slice(0, within).some((sku) => best.has(sku));
	return bestSeen && ndcg(rankedSkus, expected) >= PASS_MIN_NDCG;
}
