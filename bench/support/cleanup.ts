/**
 * Undo steps (stop a child, drop a database, restore a server setting), run in reverse order at the
 * end of the run, on an error, or on Ctrl-C: a bench must not leave processes or databases behind.
 */
type Step = { name: string; run: () => Promise<void> };

const steps: Step[] = [];
let running: Promise<void> | undefined;

/** Registers an undo step; returns a function that runs it now (and only once). */
export function onCleanup(name: string, run: () => Promise<void>): () => Promise<void> {
	const step: Step = { name, run };
	steps.push(step);
	return async () => {
		const index = steps.indexOf(step);
		if (index < 0) return;
		steps.splice(index, 1);
		await run();
	};
}

/** Runs every registered step, newest first; a failing step is reported and the rest still run. */
export function cleanUp(): Promise<void> {
	running ??= (async () => {
		while (steps.length > 0) {
			const step = steps.pop() as Step;
			try {
				await step.run();
			} catch (err) {
				process.stderr.write(`[bench] cleanup "${step.name}" failed: ${(err as Error).message}\n`);
			}
		}
	})();
	return running;
}

/**
 * Ctrl-C, a kill or a crash outside the main flow (e.g. in a socket handler): clean up, then exit
 * (128+signal for a signal, 2 for a crash). Child nodes would otherwise outlive the bench.
 */
export function cleanUpOnExit(): void {
	let exiting = false;
	const exitAfterCleanup = (reason: string, code: number) => {
		if (exiting) return;
		exiting = true;
		process.stderr.write(`\n[bench] ${reason}: stopping child processes and dropping bench databases\n`);
		void cleanUp().finally(() => process.exit(code));
	};
	process.once("SIGINT", () => exitAfterCleanup("SIGINT", 130));
	process.once("SIGTERM", () => exitAfterCleanup("SIGTERM", 143));
	// `on`, not `once`: output piped into `head` fails with EPIPE, and the message above then fails the
	// same way; a second uncaught error must not end the process before the cleanup has run (it left
	// the server's commits non-durable and a bench database behind).
	process.on("uncaughtException", (err) => exitAfterCleanup(`crashed: ${err.stack ?? err.message}`, 2));
}
