import type { ServerResponse } from "node:http";

/**
 * The `Retry-After` header (seconds) of an error answer, when the client should come back: a 429 of the
 * rate limiter (until its window resets), or a 503 (what the error says in `data.retryAfterS`, else 1 s:
 * a dropped node is replaced within seconds, see services/inventory/API_DOCS.md).
 */
export function retryAfterHeader(status: number, err: unknown, res: ServerResponse): Record<string, string> {
	if (status === 429) {
		const rateLimitReset = Number(res.getHeader("X-Rate-Limit-Reset"));
		if (rateLimitReset > 0) return { "Retry-After": seconds((rateLimitReset - Date.now()) / 1000) };
		return {};
	}
	if (status === 503) {
		const hinted = Number((err as { data?: { retryAfterS?: unknown } } | null)?.data?.retryAfterS);
		return { "Retry-After": seconds(Number.isFinite(hinted) && hinted > 0 ? hinted : 1) };
	}
	return {};
}

function seconds(s: number): string {
	return String(Math.max(1, Math.ceil(s)));
}
