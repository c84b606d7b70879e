/**
 * Search indexes tests leave on the shared OpenSearch: named after a test namespace
 * (`test-<run>-<id>.products-...`), so a run removes its own at the end and what crashed or older
 * runs left at the start, like the brokers' topics and streams.
 */
export async function removeSearchIndexes(searchUrl: string, matches: (name: string) => boolean): Promise<number> {
	let listed: Response;
	try {
		listed = await fetch(`${searchUrl}/_cat/indices?format=json&h=index`, { signal: AbortSignal.timeout(5_000) });
	} catch {
		return 0; // no search server: nothing to clean
	}
	if (!listed.ok) return 0;
	const names = ((await listed.json()) as Array<{ index: string }>).map((row) => row.index).filter(matches);
	for (const name of names) {
		await fetch(`${searchUrl}/${encodeURIComponent(name)}`, { method: "DELETE", signal: AbortSignal.timeout(30_000) });
	}
	return names.length;
}
