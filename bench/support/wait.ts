/** Retries `attempt` until it resolves, `check` (run before each try) throws, or the time is up. */
export async function retryUntil<T>(
	what: string,
	attempt: () => Promise<T>,
	options: { timeoutMs: number; intervalMs?: number; check?: () => void },
): Promise<T> {
	const deadline = Date.now() + options.timeoutMs;
	for (;;) {
		options.check?.();
		try {
			return await attempt();
		} catch (err) {
			if (Date.now() > deadline)
				throw new Error(`${what}: still failing after ${options.timeoutMs} ms: ${(err as Error).message}`);
		}
		await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
	}
}
