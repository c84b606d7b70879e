/**
 * The live line while a suite runs: elapsed, requests, rate, p95 so far and errors by code. Redrawn
 * in place each second on a terminal; a plain line every 10 s otherwise (CI logs).
 */
import type { Recorder } from "./recorder";

const TOP_ERRORS = 4;

export function progressText(recorder: Recorder): string {
	const elapsedS = recorder.elapsedMs() / 1000;
	const requests = recorder.samples.length;
	const p95 = recorder.approximateP95();
	const topErrors = [...recorder.errorCounts.entries()]
		.sort((a, b) => b[1] - a[1])
		.slice(0, TOP_ERRORS)
		.map(([key, count]) => `${key} ${count}`)
		.join(", ");
	return [
		`${elapsedS.toFixed(0)} s`,
		`${requests} requests`,
		`${elapsedS > 0 ? Math.round(requests / elapsedS) : 0}/s`,
		`p95 ${p95 === null ? "-" : p95.toFixed(1)} ms`,
		`answers not 2xx: ${topErrors || "none"}`,
	].join("  ");
}

export function startProgress(recorder: Recorder, out: NodeJS.WriteStream = process.stderr): () => void {
	const live = out.isTTY === true;
	let ticks = 0;
	const timer = setInterval(() => {
		ticks++;
		if (live) out.write(`\r\x1b[2K[load] ${progressText(recorder)}`);
		else if (ticks % 10 === 0) out.write(`[load] ${progressText(recorder)}\n`);
	}, 1000);
	return () => {
		clearInterval(timer);
		if (live) out.write("\n");
	};
}
