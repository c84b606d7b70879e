import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { LatencySummary, LoadReport } from "./load-report";

/**
 * The load report as one HTML page that needs nothing but a browser: uPlot, its CSS, the data and the
 * drawing script are all inline, and a Content-Security-Policy forbids every fetch, so the page stays
 * the same when opened years later, offline or from a CI artifact.
 */
export function renderHtmlReport(report: LoadReport): string {
	const uplotJs = inlineable(readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8"), "script");
	const uplotCss = inlineable(readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8"), "style");
	// `<` escaped, a string in the report cannot end the data block (`</script>`) or open a comment.
	const data = JSON.stringify(report).replace(/</g, "\\u003c");
	// Only these two scripts may run: anything that got into the markup by mistake is blocked.
	const csp = [
		"default-src 'none'",
		`script-src ${scriptHash(uplotJs)} ${scriptHash(CHARTS_SCRIPT)}`,
		"style-src 'unsafe-inline'",
		"img-src data:",
	].join("; ");
	const verdict = report.passed ? "PASSED" : "FAILED";
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${report.suite}: ${verdict} (${report.startedAt})`)}</title>
<style>${uplotCss}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
${renderHeader(report)}
<section><h2>Gates</h2>${renderGates(report)}</section>
<section><h2>Checks</h2>${renderChecks(report)}</section>
<section><h2>Latency over time</h2><div class="chart" id="chart-latency"></div></section>
<section><h2>Throughput over time</h2><div class="chart" id="chart-throughput"></div></section>
<section><h2>Latency histogram</h2><div class="chart" id="chart-histogram"></div></section>
<section><h2>Steps</h2>${renderSteps(report)}</section>
<section><h2>Errors by code</h2>${renderCounts(report.errorsByCode, "error", "No errors.")}</section>
<section><h2>Statuses</h2>${renderCounts(report.statuses, "status", "No answers.")}</section>
<section><h2>Settings</h2>${renderKeyValues(Object.entries(report.settings))}</section>
<section><h2>Machine</h2>${renderKeyValues(Object.entries(report.machine))}</section>
<script type="application/json" id="report-data">${data}</script>
<script>${uplotJs}</script>
<script>${CHARTS_SCRIPT}</script>
</body>
</html>
`;
}

type Cell = string | number | null | { text: string; className: string };

function renderHeader(report: LoadReport): string {
	const { totals, latency } = report;
	const verdict = report.passed
		? '<span class="verdict pass">PASSED</span>'
		: '<span class="verdict fail">FAILED</span>';
	const facts: [string, string][] = [
		["Started", report.startedAt],
		["Finished", report.finishedAt],
		["Duration", `${formatNumber(totals.durationS)} s`],
		["Requests", formatNumber(totals.requests)],
		["Throughput", `${formatNumber(totals.throughputPerS)} req/s`],
		["Failed", `${formatNumber(totals.failed)} (${formatNumber(totals.failedRate * 100)} %)`],
		["Latency", latencyLine(latency)],
	];
	const items = facts.map(([name, value]) => `<dt>${escapeHtml(name)}</dt><dd>${escapeHtml(value)}</dd>`).join("");
	return `<header><h1>Load report: ${escapeHtml(report.suite)} ${verdict}</h1><dl class="facts">${items}</dl></header>`;
}

function latencyLine(latency: LatencySummary): string {
	const parts: [string, number | null][] = [
		["p50", latency.p50Ms],
		["p95", latency.p95Ms],
		["p99", latency.p99Ms],
		["max", latency.maxMs],
		["mean", latency.meanMs],
	];
	return parts.map(([name, value]) => `${name} ${formatMs(value)}`).join(", ");
}

function renderGates(report: LoadReport): string {
	if (report.gates.length === 0) return '<p class="none">No gates.</p>';
	return table(
		["Metric", "Threshold", "Measured", "Result"],
		report.gates.map((gate) => [gate.metric, gate.threshold, gate.measured, verdictCell(gate.passed)]),
		"gates",
	);
}

function renderChecks(report: LoadReport): string {
	if (report.checks.length === 0) return '<p class="none">No checks.</p>';
	return table(
		["Check", "Result", "Detail"],
		report.checks.map((check) => [check.name, verdictCell(check.passed), check.detail]),
		"checks",
	);
}

function renderSteps(report: LoadReport): string {
	if (report.steps.length === 0) return '<p class="none">No steps.</p>';
	return table(
		["Flow", "Step", "Count", "p50 ms", "p95 ms", "p99 ms", "max ms", "Failed"],
		report.steps.map((step) => [
			step.flow,
			step.step,
			step.count,
			formatMs(step.p50Ms),
			formatMs(step.p95Ms),
			formatMs(step.p99Ms),
			formatMs(step.maxMs),
			step.failed,
		]),
		"steps",
	);
}

function renderCounts(counts: Record<string, number>, name: string, empty: string): string {
	const rows = Object.entries(counts).sort(([, a], [, b]) => b - a);
	if (rows.length === 0) return `<p class="none">${escapeHtml(empty)}</p>`;
	return table([name[0]!.toUpperCase() + name.slice(1), "Count"], rows, `${name}s`);
}

function renderKeyValues(entries: [string, unknown][]): string {
	return table(
		["Name", "Value"],
		entries.map(([key, value]) => [key, formatValue(value)]),
		"key-values",
	);
}

function verdictCell(passed: boolean): Cell {
	return passed ? { text: "PASS", className: "pass" } : { text: "FAIL", className: "fail" };
}

function table(headers: string[], rows: Cell[][], className: string): string {
	const head = headers.map((header) => `<th>${escapeHtml(header)}</th>`).join("");
	const body = rows.map((row) => `<tr>${row.map(renderCell).join("")}</tr>`).join("\n");
	return `<table class="${escapeHtml(className)}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function renderCell(cell: Cell): string {
	if (cell !== null && typeof cell === "object") {
		return `<td class="${escapeHtml(cell.className)}">${escapeHtml(cell.text)}</td>`;
	}
	if (typeof cell === "number") return `<td class="num">${escapeHtml(formatNumber(cell))}</td>`;
	return `<td>${escapeHtml(cell ?? "–")}</td>`;
}

function formatValue(value: unknown): string {
	if (value === null || value === undefined) return "–";
	if (typeof value === "number") return formatNumber(value);
	if (typeof value === "string") return value;
	return JSON.stringify(value);
}

function formatMs(value: number | null): string {
	return value === null ? "–" : formatNumber(value);
}

/** Integers as they are; fractions to four significant digits (0.001234, 12.35), or one decimal from 100 on. */
function formatNumber(value: number): string {
	if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);
	if (Math.abs(value) >= 100) return value.toFixed(1);
	return String(Number(value.toPrecision(4)));
}

const HTML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function escapeHtml(value: string | number): string {
	return String(value).replace(/[&<>"']/g, (char) => HTML_ENTITIES[char]!);
}

/** A raw-text element ends at the first `</tag`; vendored code that contains one cannot be inlined as is. */
function inlineable(source: string, tag: "script" | "style"): string {
	if (source.toLowerCase().includes(`</${tag}`)) throw new Error(`cannot inline a ${tag} that contains </${tag}`);
	return source;
}

function scriptHash(source: string): string {
	return `'sha256-${createHash("sha256").update(source, "utf8").digest("base64")}'`;
}

const PAGE_CSS = `
body { font-family: system-ui, sans-serif; margin: 24px; color: #1d2330; background: #fff; }
h1 { font-size: 24px; margin: 0 0 12px; }
h2 { font-size: 18px; margin: 28px 0 8px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; font-size: 18px; vertical-align: middle; }
.verdict.pass { background: #2e7d32; }
.verdict.fail { background: #c62828; }
.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 0; }
.facts dt { font-weight: 600; }
.facts dd { margin: 0; }
table { border-collapse: collapse; font-size: 14px; }
th, td { border: 1px solid #d5d9e0; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f2f4f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.pass { color: #2e7d32; font-weight: 700; }
td.fail { color: #c62828; font-weight: 700; }
.chart { max-width: 1100px; }
.no-data { color: #6b7280; font-style: italic; }
`;

/**
 * Runs in the page: draws the three charts from the embedded report, then tells a waiting test how many
 * painted (`data-charts-rendered`). A chart without data gets a note instead. One whose set-up throws
 * gets a note and a console error, and the others are still drawn; one that throws while painting
 * (uPlot paints in a microtask) leaves a page error and is not counted.
 */
const CHARTS_SCRIPT = `
(function () {
	"use strict";
	var report = JSON.parse(document.getElementById("report-data").textContent);
	var timeline = report.timeline || [];
	var histogram = report.histogram || [];
	var attempted = [];

	function note(el, text) {
		var p = document.createElement("p");
		p.className = "no-data";
		p.textContent = text;
		el.appendChild(p);
	}

	function chartWidth(el) {
		return Math.max(360, Math.min(1100, el.clientWidth || 900));
	}

	function draw(id, hasData, options, data) {
		var el = document.getElementById(id);
		if (!hasData) {
			note(el, "No data: the run measured no requests.");
			return;
		}
		var chart = { drawn: false };
		options.width = chartWidth(el);
		options.height = 300;
		options.hooks = { draw: [function () { chart.drawn = true; }] };
		try {
			chart.plot = new uPlot(options, data, el);
			attempted.push(chart);
		} catch (error) {
			note(el, "This chart could not be drawn: " + error.message);
			console.error("chart " + id + " failed", error);
		}
	}

	function column(rows, key) {
		return rows.map(function (row) { return row[key]; });
	}

	// Axis splits can be null (uPlot leaves out labels that would collide).
	function ms(value) {
		if (value == null) return "";
		if (value >= 1000) return +(value / 1000).toPrecision(3) + " s";
		return +value.toPrecision(3) + " ms";
	}

	var seconds = { label: "s", value: function (u, v) { return v == null ? "-" : v + " s"; } };
	var secondsAxis = { label: "seconds since the measured phase began" };

	draw(
		"chart-latency",
		timeline.some(function (p) { return p.p50Ms != null || p.p95Ms != null || p.p99Ms != null; }),
		{
			scales: { x: { time: false } },
			series: [
				seconds,
				{ label: "p50", stroke: "#2e7d32", width: 2, value: function (u, v) { return v == null ? "-" : ms(v); } },
				{ label: "p95", stroke: "#ef6c00", width: 2, value: function (u, v) { return v == null ? "-" : ms(v); } },
				{ label: "p99", stroke: "#c62828", width: 2, value: function (u, v) { return v == null ? "-" : ms(v); } },
			],
			axes: [secondsAxis, { label: "latency", size: 70, values: function (u, splits) { return splits.map(ms); } }],
		},
		[column(timeline, "t"), column(timeline, "p50Ms"), column(timeline, "p95Ms"), column(timeline, "p99Ms")],
	);

	draw(
		"chart-throughput",
		timeline.length > 0,
		{
			scales: { x: { time: false } },
			series: [
				seconds,
				{ label: "requests/s", stroke: "#1565c0", fill: "rgba(21, 101, 192, 0.12)", width: 2 },
				{ label: "failed/s", stroke: "#c62828", fill: "rgba(198, 40, 40, 0.18)", width: 2 },
			],
			axes: [secondsAxis, { label: "per second", size: 60 }],
		},
		[column(timeline, "t"), column(timeline, "requests"), column(timeline, "failed")],
	);

	// Buckets are already logarithmic: one bar per bucket, evenly spaced, is a log axis.
	var bucketLabels = histogram.map(function (b) { return "\\u2264 " + ms(b.upToMs); });
	function bucketLabel(i) {
		return Number.isInteger(i) && i >= 0 && i < bucketLabels.length ? bucketLabels[i] : "";
	}
	draw(
		"chart-histogram",
		histogram.some(function (b) { return b.count > 0; }),
		{
			// asinh: like a log scale, so the slow tail stays visible beside the mode, but zero counts still plot.
			scales: {
				x: { time: false, range: [-0.5, histogram.length - 0.5] },
				y: { distr: 4, log: 10, range: function (u, min, max) { return [0, Math.max(10, max * 1.5)]; } },
			},
			series: [
				{ label: "latency", value: function (u, v) { return v == null ? "-" : bucketLabel(v); } },
				{
					label: "answers",
					stroke: "#6a1b9a",
					fill: "rgba(106, 27, 154, 0.45)",
					paths: uPlot.paths.bars({ size: [0.9, Infinity] }),
					points: { show: false },
				},
			],
			axes: [
				{
					label: "latency bucket (upper bound)",
					incrs: [1, 2, 3, 4, 5, 10, 20, 50],
					values: function (u, splits) { return splits.map(bucketLabel); },
				},
				{
					label: "answers",
					size: 60,
					values: function (u, splits) { return splits.map(function (v) { return v == null || v < 0 ? "" : v.toLocaleString("en-US"); }); },
				},
			],
		},
		[histogram.map(function (b, i) { return i; }), column(histogram, "count")],
	);

	// uPlot paints in a microtask after its constructor returns; a task later every chart has painted.
	setTimeout(function () {
		var drawn = attempted.filter(function (chart) { return chart.drawn; }).length;
		document.body.dataset.chartsRendered = String(drawn);
	}, 0);
})();
`;
