import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { renderHtmlReport } from "./html-report";
import type { LoadReport } from "./load-report";

/** Writes `<dir>/<suite>-<timestamp>.json` and `.html` side by side, creating `dir` if needed. */
export function writeReport(report: LoadReport, dir: string): { jsonPath: string; htmlPath: string } {
	mkdirSync(dir, { recursive: true });
	const base = path.join(dir, `${fileSafe(report.suite)}-${fileTimestamp(report.startedAt)}`);
	const jsonPath = `${base}.json`;
	const htmlPath = `${base}.html`;
	writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
	writeFileSync(htmlPath, renderHtmlReport(report));
	return { jsonPath, htmlPath };
}

/** `2026-12-06T20:15:03.412Z` -> `2026-12-06T20-15-03Z`: sorts by time and is valid on every file system. */
function fileTimestamp(startedAt: string): string {
	const date = new Date(startedAt);
	if (Number.isNaN(date.getTime())) return fileSafe(startedAt);
	return date
		.toISOString()
		.replace(/\.\d+Z$/, "Z")
		.replace(/:/g, "-");
}

function fileSafe(name: string): string {
	return name.replace(/[^A-Za-z0-9._-]+/g, "_") || "report";
}
