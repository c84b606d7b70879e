/**
 * The offline HTML load report, opened from disk in headless Chromium with the network cut off: the
 * three charts paint, the tables show the verdicts, report strings stay text, and nothing is fetched.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import type { LoadReport, TimelinePoint } from "../../loadtest/report/load-report";
import { writeReport } from "../../loadtest/report/write-report";
import { launchChromium } from "../support/chromium";

/** The page's DOM, as far as the checks below use it (the project compiles without the DOM lib). */
declare const document: {
	querySelector(selector: string): any;
	querySelectorAll(selector: string): ArrayLike<any>;
	body: { dataset: Record<string, string | undefined> };
};

const CHART_IDS = ["chart-latency", "chart-throughput", "chart-histogram"];
const SCREENSHOT = path.resolve(__dirname, "../../test-output/load-report.png");
const INJECTION = "</script><script>alert(1)</script>";

let browser: Browser;
let dir: string;

beforeAll(async () => {
	browser = await launchChromium();
	dir = mkdtempSync(path.join(os.tmpdir(), "load-report-html-"));
}, 15 * 60_000); // a fresh machine installs Chromium first

afterAll(async () => {
	await browser?.close();
	if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One second of a steady run, with a slow patch from second 20 on and a few failures. */
function timelinePoint(t: number): TimelinePoint {
	const slow = t >= 20 ? 2.5 : 1;
	const p50 = (18 + 4 * Math.sin(t / 3)) * slow;
	return {
		t,
		requests: 180 + Math.round(25 * Math.cos(t / 4)),
		failed: t % 7 === 0 ? 6 : t % 3 === 0 ? 1 : 0,
		p50Ms: p50,
		p95Ms: p50 * 2.6,
		p99Ms: p50 * 4.1,
	};
}

function syntheticReport(): LoadReport {
	const timeline = Array.from({ length: 30 }, (_, t) => timelinePoint(t));
	const requests = timeline.reduce((sum, p) => sum + p.requests, 0);
	const failed = timeline.reduce((sum, p) => sum + p.failed, 0);
	const bounds = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
	const counts = [0, 12, 240, 1310, 2210, 1180, 320, 96, 31, 8, 2, 0];
	return {
		suite: "checkout",
		startedAt: "2026-12-06T20:15:03.412Z",
		finishedAt: "2026-12-06T20:15:41.007Z",
		settings: {
			url: "http://127.0.0.1:3000",
			target: "embedded",
			gateProfile: "ci",
			vus: 50,
			rate: 200,
			durationS: 30,
			requests: null,
			users: 500,
			shares: { browse: 0.7, checkout: 0.3 },
		},
		machine: {
			hostname: "ci-runner-7",
			cpus: 2,
			cpuModel: "Intel(R) Xeon(R) CPU @ 2.20GHz",
			memoryGiB: 7.8,
			node: "v24.11.0",
			platform: "linux x64",
			loadAverage: [0.52, 0.61, 0.7],
		},
		totals: { requests, durationS: 30, throughputPerS: requests / 30, failed, failedRate: failed / requests },
		latency: { count: requests, meanMs: 31.7, p50Ms: 22.4, p95Ms: 81.3, p99Ms: 140.9, maxMs: 2240.5 },
		steps: [
			{
				flow: "browse",
				step: "list",
				count: 3100,
				meanMs: 14.2,
				p50Ms: 12.1,
				p95Ms: 31.4,
				p99Ms: 55.2,
				maxMs: 410.3,
				failed: 0,
			},
			{
				flow: "checkout",
				step: "place_order",
				count: 2309,
				meanMs: 52.8,
				p50Ms: 44.9,
				p95Ms: 412.5,
				p99Ms: 690.1,
				maxMs: 2240.5,
				failed,
			},
		],
		timeline,
		timelineByFlow: { checkout: timeline },
		histogram: bounds.map((upToMs, i) => ({ upToMs, count: counts[i]! })),
		errorsByCode: { "409 INSUFFICIENT_STOCK": failed - 4, TIMEOUT: 4 },
		statuses: { "200": requests - failed, "409": failed - 4, none: 4 },
		checks: [{ name: "no oversell", passed: true, detail: "sold 500 of 500 units, 0 oversold" }],
		gates: [
			{ metric: "http_req_failed", threshold: "rate<0.05", measured: failed / requests, passed: true },
			{ metric: "http_req_duration{flow:checkout}", threshold: "p(95)<300", measured: 412.5, passed: false },
		],
		passed: false,
	};
}

function zeroRequestReport(timeline: TimelinePoint[], histogram: LoadReport["histogram"]): LoadReport {
	const report = syntheticReport();
	const noLatency = { count: 0, meanMs: null, p50Ms: null, p95Ms: null, p99Ms: null, maxMs: null };
	return {
		...report,
		totals: { requests: 0, durationS: 30, throughputPerS: 0, failed: 0, failedRate: 0 },
		latency: noLatency,
		steps: [{ flow: "checkout", step: "place_order", ...noLatency, failed: 0 }],
		timeline,
		timelineByFlow: { checkout: timeline },
		histogram,
		errorsByCode: {},
		statuses: {},
		checks: [],
		gates: [{ metric: "http_req_duration{flow:checkout}", threshold: "p(95)<300", measured: null, passed: false }],
	};
}

interface OpenedReport {
	page: Page;
	/** Requests for anything but a file, each aborted. */
	networkRequests: string[];
	pageErrors: string[];
	consoleErrors: string[];
	dialogs: string[];
	chartsRendered: string | undefined;
}

/** Opens a written report as a user would (file://), with every other request aborted and recorded. */
async function openReport(report: LoadReport): Promise<OpenedReport> {
	const { htmlPath } = writeReport(report, dir);
	const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
	const opened: Omit<OpenedReport, "chartsRendered"> = {
		page: await context.newPage(),
		networkRequests: [],
		pageErrors: [],
		consoleErrors: [],
		dialogs: [],
	};
	await context.route("**/*", (route) => {
		const url = route.request().url();
		if (url.startsWith("file:")) return route.continue();
		opened.networkRequests.push(url);
		return route.abort();
	});
	const { page } = opened;
	page.on("request", (request) => {
		if (!request.url().startsWith("file:") && !opened.networkRequests.includes(request.url())) {
			opened.networkRequests.push(request.url());
		}
	});
	page.on("pageerror", (error) => opened.pageErrors.push(error.message));
	page.on("console", (message) => {
		if (message.type() === "error") opened.consoleErrors.push(message.text());
	});
	page.on("dialog", (dialog) => {
		opened.dialogs.push(dialog.message());
		void dialog.dismiss();
	});
	await page.goto(pathToFileURL(htmlPath).href);
	await page.waitForSelector("body[data-charts-rendered]", { timeout: 15_000 });
	const chartsRendered = await page.evaluate(() => document.body.dataset.chartsRendered);
	return { ...opened, chartsRendered };
}

/** Per chart: how many of its canvas pixels carry colour (series), as opposed to grey axes and grid. */
async function colouredPixels(page: Page): Promise<Record<string, number>> {
	return page.evaluate((ids) => {
		const result: Record<string, number> = {};
		for (const id of ids) {
			const canvas = document.querySelector(`#${id} canvas`);
			if (!canvas) {
				result[id] = -1;
				continue;
			}
			const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
			let coloured = 0;
			for (let i = 0; i < data.length; i += 4) {
				const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
				if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) coloured++;
			}
			result[id] = coloured;
		}
		return result;
	}, CHART_IDS);
}

function tableRows(page: Page, table: string): Promise<string[][]> {
	return page.evaluate(
		(selector) =>
			Array.from(document.querySelectorAll(`${selector} tbody tr`), (row: any) =>
				Array.from(row.cells as ArrayLike<any>, (cell) => String(cell.textContent)),
			),
		`table.${table}`,
	);
}

describe("the HTML load report", () => {
	it("when a run with a failed gate is opened offline, then its three charts paint and the gate shows FAIL", async () => {
		const report = syntheticReport();
		const { jsonPath, htmlPath } = writeReport(report, dir);
		expect(path.basename(jsonPath)).toBe("checkout-2026-12-06T20-15-03Z.json");
		expect(path.basename(htmlPath)).toBe("checkout-2026-12-06T20-15-03Z.html");
		expect(JSON.parse(readFileSync(jsonPath, "utf8"))).toEqual(report);

		const opened = await openReport(report);
		const { page } = opened;
		try {
			// errors first: when a chart fails, its console error says why
			expect(opened.pageErrors).toEqual([]);
			expect(opened.consoleErrors).toEqual([]);
			expect(opened.chartsRendered).toBe("3");
			const pixels = await colouredPixels(page);
			expect(Object.keys(pixels)).toEqual(CHART_IDS);
			expect(Object.entries(pixels).filter(([, coloured]) => coloured < 200)).toEqual([]);

			const gates = await tableRows(page, "gates");
			expect(gates).toContainEqual(["http_req_duration{flow:checkout}", "p(95)<300", "412.5", "FAIL"]);
			expect(gates.find((row) => row[0] === "http_req_failed")?.[3]).toBe("PASS");
			expect(await tableRows(page, "checks")).toEqual([["no oversell", "PASS", "sold 500 of 500 units, 0 oversold"]]);
			expect(await tableRows(page, "errors")).toEqual([
				["409 INSUFFICIENT_STOCK", String(report.errorsByCode["409 INSUFFICIENT_STOCK"])],
				["TIMEOUT", "4"],
			]);
			expect(await page.textContent("header")).toContain("FAILED");

			mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
			await page.screenshot({ path: SCREENSHOT, fullPage: true });

			expect(opened.networkRequests).toEqual([]);
		} finally {
			await page.context().close();
		}
	});

	it.each([
		["an empty timeline and histogram", [], [], "0"],
		[
			"seconds without answers",
			Array.from({ length: 5 }, (_, t) => ({ t, requests: 0, failed: 0, p50Ms: null, p95Ms: null, p99Ms: null })),
			[{ upToMs: 10, count: 0 }],
			"1", // throughput: a flat line at zero is data
		],
	] as [string, TimelinePoint[], LoadReport["histogram"], string][])(
		"when a run with zero requests has %s, then the page says so without errors",
		async (_case, timeline, histogram, charts) => {
			const opened = await openReport(zeroRequestReport(timeline, histogram));
			const { page } = opened;
			try {
				expect(opened.pageErrors).toEqual([]);
				expect(opened.consoleErrors).toEqual([]);
				expect(opened.chartsRendered).toBe(charts);
				const notes = await page.evaluate(() => document.querySelectorAll(".chart .no-data").length);
				expect(notes).toBe(3 - Number(charts));
				expect(await tableRows(page, "gates")).toEqual([
					["http_req_duration{flow:checkout}", "p(95)<300", "–", "FAIL"],
				]);
				expect(opened.networkRequests).toEqual([]);
			} finally {
				await page.context().close();
			}
		},
	);

	it("when report strings contain markup, then it shows as text and no script of theirs runs", async () => {
		const report = syntheticReport();
		report.gates[0]!.metric = INJECTION;
		report.checks[0]!.detail = '<img src="x" onerror="alert(2)">';
		report.errorsByCode = { '"><script>alert(3)</script>': 1 };
		report.settings.note = "<!-- </script> -->";

		const opened = await openReport(report);
		const { page } = opened;
		try {
			expect(opened.dialogs).toEqual([]);
			expect(opened.pageErrors).toEqual([]);
			expect(opened.consoleErrors).toEqual([]);
			expect(opened.chartsRendered).toBe("3");
			expect((await tableRows(page, "gates"))[0]?.[0]).toBe(INJECTION);
			expect((await tableRows(page, "checks"))[0]?.[2]).toBe('<img src="x" onerror="alert(2)">');
			expect((await tableRows(page, "errors"))[0]?.[0]).toBe('"><script>alert(3)</script>');
			const injected = await page.evaluate(() => ({
				scripts: document.querySelectorAll("script").length,
				images: document.querySelectorAll("img").length,
			}));
			expect(injected).toEqual({ scripts: 3, images: 0 });
			// the embedded data still parses to what was written
			const embedded = await page.evaluate(() => JSON.parse(document.querySelector("#report-data").textContent));
			expect(embedded.gates[0].metric).toBe(INJECTION);
			expect(opened.networkRequests).toEqual([]);
		} finally {
			await page.context().close();
		}
	});
});
