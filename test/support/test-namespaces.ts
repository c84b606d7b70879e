/**
 * Test namespaces carry the start time of the run that made them, `<kind>-<run>-<id>`, so a run can
 * remove exactly its own event data when it ends and what crashed or older runs left when it starts,
 * without touching another run that is still going on the same brokers.
 */
import { randomUUID } from "node:crypto";

/** The prefixes tests give their namespaces. */
const KINDS = ["test", "ev", "kafka", "cluster", "saga", "sale", "e2e"] as const;
export type NamespaceKind = (typeof KINDS)[number];

/**
 * A test namespace and whatever is stored under it: kind, the run's start (base-36 seconds; names
 * from before namespaces carried it have none), a 12-hex-digit id, then a separator or the end.
 */
const TEST_NAMESPACED = new RegExp(`^(?:${KINDS.join("|")})-(?:([0-9a-z]{6,7})-)?[0-9a-f]{12}(?:[._:]|$)`);

/** Names of namespaces of no run still going: a whole run takes minutes. */
const STALE_AFTER_MS = 2 * 60 * 60_000;

/** A unique suffix for namespaces, database names and keys, so tests never share state. */
export function uniqueId(): string {
	return randomUUID().replace(/-/g, "").slice(0, 12);
}

/**
 * This run's tag. The global set-up fixes it in the environment before Jest starts its workers, so
 * every worker and every node process a test spawns shares it; a spec run without that set-up gets
 * one of its own.
 */
export function currentRun(): string {
	process.env.SHOP_TEST_RUN ??= Math.floor(Date.now() / 1000).toString(36);
	return process.env.SHOP_TEST_RUN;
}

export function testNamespace(kind: NamespaceKind): string {
	return `${kind}-${currentRun()}-${uniqueId()}`;
}

/** When the run that made `name` started (ms; 0 for names older than run tags); undefined if no test made it. */
export function runStartOf(name: string): number | undefined {
	const match = TEST_NAMESPACED.exec(name);
	if (!match) return undefined;
	return match[1] ? Number.parseInt(match[1], 36) * 1000 : 0;
}

/** Names this run made. */
export function ofThisRun(name: string): boolean {
	return runStartOf(name) === Number.parseInt(currentRun(), 36) * 1000;
}

/** Names made by runs that started over STALE_AFTER_MS ago (or before run tags existed). */
export function ofStaleRuns(name: string, now = Date.now()): boolean {
	const start = runStartOf(name);
	return start !== undefined && start < now - STALE_AFTER_MS;
}
