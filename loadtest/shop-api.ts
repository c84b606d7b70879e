/**
 * The public API calls a suite makes before and after its load: set-up (catalog, stock, shoppers)
 * and the checks (stock, orders). Plain fetch: a few thousand calls at most, not the measured load.
 */

export interface ApiAnswer<T = unknown> {
	status: number;
	body: T;
	retryAfterS: number | null;
}

export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly what: string,
		body: unknown,
	) {
		super(`${what}: ${status} ${JSON.stringify(body)}`);
	}
}

export const VERSION_HEADER = { "X-API-Version": "v1" };

export function bearer(token: string): Record<string, string> {
	return { Authorization: `Bearer ${token}` };
}

export class ShopApi {
	constructor(readonly baseUrl: string) {}

	async call<T = unknown>(
		method: string,
		path: string,
		options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
	): Promise<ApiAnswer<T>> {
		const response = await fetch(`${this.baseUrl}${path}`, {
			method,
			headers: {
				...VERSION_HEADER,
				...(options.body === undefined ? {} : { "Content-Type": "application/json" }),
				...(options.token ? bearer(options.token) : {}),
				...options.headers,
			},
			body: options.body === undefined ? undefined : JSON.stringify(options.body),
			signal: AbortSignal.timeout(30_000),
		});
		const text = await response.text();
		const retryAfter = response.headers.get("retry-after");
		return {
			status: response.status,
			body: (text ? JSON.parse(text) : null) as T,
			retryAfterS: retryAfter === null ? null : Number(retryAfter),
		};
	}

	/** `call`, throwing ApiError unless the status is one of `expected`. */
	async expect<T = unknown>(
		expected: number[],
		method: string,
		path: string,
		options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
	): Promise<ApiAnswer<T>> {
		const answer = await this.call<T>(method, path, options);
		if (!expected.includes(answer.status)) throw new ApiError(answer.status, `${method} ${path}`, answer.body);
		return answer;
	}
}

/** Runs `task` over `items` with at most `limit` at once, in order of items. */
export async function inParallel<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
	const results: R[] = new Array(items.length);
	let next = 0;
	const worker = async () => {
		while (next < items.length) {
			const index = next++;
			results[index] = await task(items[index] as T);
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
	return results;
}
