/**
 * `GET /api/docs` of an embedded shop, opened in headless Chromium: Swagger UI (served by the gateway
 * from the swagger-ui-dist package) renders the gateway's own OpenAPI document, the inventory reserve
 * and the products list operations are on the page, and nothing is fetched from outside 127.0.0.1.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { launchChromium } from "../support/chromium";
import { gatewayUrl, NodeProcess } from "../support/node-process";

const SCREENSHOT = path.resolve(__dirname, "../../test-output/api-docs-page.png");

let browser: Browser | undefined;
let node: NodeProcess | undefined;
let baseUrl: string;

beforeAll(async () => {
	node = NodeProcess.start({ PORT: "0", RATE_LIMIT_AUTH: "0" });
	[browser, baseUrl] = await Promise.all([launchChromium(), gatewayUrl(node)]);
}, 15 * 60_000); // a fresh machine installs Chromium first

afterAll(async () => {
	await browser?.close();
	await node?.stop();
});

describe("the API docs page", () => {
	it("when opened in Chromium, then it shows the inventory reserve and products list operations, fetched locally", async () => {
		const context = await (browser as Browser).newContext({ viewport: { width: 1280, height: 1600 } });
		const outside: string[] = [];
		const pageErrors: string[] = [];
		await context.route("**/*", (route) => {
			const url = new URL(route.request().url());
			if (url.hostname === "127.0.0.1") return route.continue();
			outside.push(url.href);
			return route.abort();
		});
		const page = await context.newPage();
		page.on("pageerror", (error) => pageErrors.push(error.message));
		const fetched: string[] = [];
		page.on("request", (request) => fetched.push(new URL(request.url()).pathname));
		try {
			const response = await page.goto(`${baseUrl}/api/docs`);
			expect(response?.status()).toBe(200);

			// An operation's block, as Swagger UI renders it: its method's class, its path in `data-path`.
			const operation = (method: string, apiPath: string) =>
				page.locator(`.opblock-${method}`, {
					has: page.locator(`.opblock-summary-path[data-path="${apiPath}"]`),
				});
			const reserve = operation("post", "/api/inventory/reserve");
			const list = operation("get", "/api/products");
			await reserve.waitFor({ timeout: 30_000 });
			await list.waitFor({ timeout: 30_000 });
			expect(await reserve.textContent()).toContain("inventory.reserve");
			expect(await list.textContent()).toContain("products.list");
			expect(await page.locator(".info .title").textContent()).toContain("Shop API");

			// Opened, the reserve operation shows its body's fields and its example.
			await reserve.locator(".opblock-summary").first().click();
			await reserve.locator(".opblock-body").waitFor({ timeout: 10_000 });
			expect(await reserve.textContent()).toContain("DEMO-TSHIRT");

			mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
			await page.screenshot({ path: SCREENSHOT, fullPage: false });

			expect(fetched).toEqual(expect.arrayContaining(["/api/docs/swagger-ui-bundle.js", "/api/openapi.json"]));
			expect(pageErrors).toEqual([]);
			expect(outside).toEqual([]);
		} finally {
			await context.close();
		}
	});

	it("when a file outside the page's own is asked for, then the answer is a 404 in the standard error shape", async () => {
		for (const name of ["package.json", "..%2F..%2Fpackage.json", "swagger-ui.js.map"]) {
			const response = await fetch(`${baseUrl}/api/docs/${name}`);
			expect(response.status).toBe(404);
			expect(((await response.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
		}
	});
});
