/**
 * Where a bench run writes its report: a file of its own under bench/runs/ (git-ignored). The curated
 * records (bench/RESULTS.md, bench/*_RESULTS.md) are edited by hand and never written by a run, so a run
 * cannot erase the runs recorded there.
 */
import fs from "node:fs";
import path from "node:path";

const RUNS_DIR = path.resolve(__dirname, "../runs");

/** A fresh report file for one run of `bench`: bench/runs/<bench>-<UTC start, to the second>.md. */
export function runOutputFile(bench: string, startedAt = new Date()): string {
	const stamp = startedAt
		.toISOString()
		.replace(/\.\d+Z$/, "Z")
		.replace(/:/g, "-");
	return path.join(RUNS_DIR, `${bench}-${stamp}.md`);
}

/** `file` as the user reads it: relative to where the bench was started. */
export function shownPath(file: string): string {
	return path.relative(process.cwd(), path.resolve(file));
}

/** Makes sure the report's folder exists (bench/runs/ is not in the repository). */
export function ensureFolderOf(file: string): void {
	fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
}
