import type { ServerResponse } from "node:http";

/**
 * The `Retry-After` header (seconds) of an error answer, when the client should come back: a 429 (what
 * the error says in `data.retryAfterS`, as auth's failed-login limit does, else until the rate limiter's
 * window resets), or a 503 (what the error says, else 1 s: a dropped node is replaced within seconds,
 * see services/inventory/API_DOCS.md).
 */
export function retryAfterHeader(status: number, err: unknown, res: ServerResponse): Record<string, string> {
	if (status === 429) {
		const hinted = hintedSeconds(err);
		if (hinted !== undefined) return { "Retry-After": seconds(hinted) };
		const rateLimitReset = Number(res.getHeader("X-Rate-Limit-Reset"));
		if (rateLimitReset > 0) return { "Retry-After": seconds((rateLimitReset - Date.now()) / 1000) };
		return {};
	}
	if (status === 503) {
		return { "Retry-After": seconds(hintedSeconds(err) ?? 1) };
	}
	return {};
}

function seconds(s: number): string {
	return String(Math.max(1, Math.ceil(s)));
}

/** The error's own `data.retryAfterS`, when it gives a positive one. */
function hintedSeconds(err: unknown): number | undefined {
	const hinted = Number((err as { data?: { retryAfterS?: unknown } } | null)?.data?.retryAfterS);
	return Number.isFinite(hinted) && hinted > 0 ? hinted : undefined;
}
