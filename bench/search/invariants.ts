/** A rule the run must keep (a count the engine must reach, a job that must complete); a broken one exits 1. */
export interface Invariant {
	name: string;
	ok: boolean;
	/** What was seen, for the report. */
	seen: string;
}
