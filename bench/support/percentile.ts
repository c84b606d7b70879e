/** The p-th percentile (nearest rank) of ascending `sorted`; undefined when it is empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number | undefined {
	if (sorted.length === 0) return undefined;
	const rank = Math.ceil((p / 100) * sorted.length);
	return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
