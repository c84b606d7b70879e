import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import ts from "typescript";

/**
 * k6 cannot be installed where these tests run, so the k6 suites are checked here: they parse, import only what k6
 * has, take their gates from gates.json, and, run against stand-ins for k6's modules and a fake shop, send the
 * requests and record the metrics the gates read.
 */
const K6_DIR = path.resolve(__dirname, "../../../loadtest/k6");
const GATES_FILE = path.resolve(K6_DIR, "../gates.json");
const GATES: Record<string, Record<string, Record<string, string[]>>> = JSON.parse(fs.readFileSync(GATES_FILE, "utf8"));
const SUITES = Object.keys(GATES).filter((key) => !key.startsWith("$"));
const SCRIPTS = fs.readdirSync(K6_DIR).filter((file) => file.endsWith(".js"));
const K6_MODULES = ["k6", "k6/http", "k6/metrics", "k6/execution", "k6/crypto"];
const THRESHOLD = /^(p\(\d+(\.\d+)?\)|avg|min|max|med|rate|count)(<|<=|>|>=|==)\d+(\.\d+)?$/;

function readScript(file: string): string {
	return fs.readFileSync(path.join(K6_DIR, file), "utf8");
}

/** Syntax errors as the parser and as transpileModule see them; parseDiagnostics is internal to TypeScript. */
function parseProblems(fileName: string, text: string) {
	const sourceFile = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2020, true, ts.ScriptKind.JS);
	const transpiled = ts.transpileModule(text, {
		fileName,
		reportDiagnostics: true,
		compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2020 },
	});
	return {
		sourceFile,
		parseDiagnostics: (sourceFile as any).parseDiagnostics as unknown,
		transpileDiagnostics: (transpiled.diagnostics ?? []).map((d) =>
			ts.flattenDiagnosticMessageText(d.messageText, "\n"),
		),
	};
}

function importedModules(sourceFile: ts.SourceFile): string[] {
	return sourceFile.statements
		.filter((node) => ts.isImportDeclaration(node) || (ts.isExportDeclaration(node) && node.moduleSpecifier))
		.map((node) => ((node as ts.ImportDeclaration).moduleSpecifier as ts.StringLiteral).text);
}

/** Metric names without their tag filter: `http_req_duration{flow:cart}` -> `http_req_duration`. */
function metricName(expression: string): string {
	return expression.replace(/\{.*\}$/, "");
}

// --- a k6 stand-in ---------------------------------------------------------------------------------------------------

type Answer = { status: number; body?: unknown };
type SentRequest = {
	method: string;
	url: string;
	body: any;
	tags: Record<string, string>;
	headers: Record<string, string>;
};
type Shop = (request: SentRequest) => Answer;

interface K6Run {
	exports: Record<string, any>;
	lib: Record<string, any>;
	sent: SentRequest[];
	/** name -> type and every value added. */
	metrics: Map<string, { type: string; samples: number[] }>;
	expectedStatuses: number[] | undefined;
	exec: { vu: { idInTest: number; iterationInScenario: number }; scenario: { iterationInTest: number } };
}

/** Runs a k6 script's init code, as k6 would, with its k6 imports replaced by stand-ins and HTTP sent to `shop`. */
function runK6Script(file: string, env: Record<string, string> = {}, shop: Shop = () => ({ status: 599 })): K6Run {
	const run: K6Run = {
		exports: {},
		lib: {},
		sent: [],
		metrics: new Map(),
		expectedStatuses: undefined,
		exec: { vu: { idInTest: 1, iterationInScenario: 0 }, scenario: { iterationInTest: 0 } },
	};
	const metricType = (type: string) =>
		class {
			private readonly samples: number[] = [];
			constructor(name: string) {
				run.metrics.set(name, { type, samples: this.samples });
			}
			add(value: number | boolean) {
				this.samples.push(Number(value));
			}
		};
	const request = (method: string, url: string, body: string | null, params: any = {}) => {
		const sent = { method, url, body: body ? JSON.parse(body) : null, tags: params.tags, headers: params.headers };
		run.sent.push(sent);
		const answer = shop(sent);
		const text = answer.body === undefined ? "" : JSON.stringify(answer.body);
		return { status: answer.status, body: text, timings: { duration: 7 }, json: () => JSON.parse(text) };
	};
	const http = {
		request,
		batch: (requests: any[][]) => requests.map(([method, url, body, params]) => request(method, url, body, params)),
		expectedStatuses: (...statuses: number[]) => ({ statuses }),
		setResponseCallback: (callback: { statuses: number[] }) => {
			run.expectedStatuses = callback.statuses;
		},
	};
	const k6: Record<string, unknown> = {
		k6: {
			check: (value: unknown, checks: Record<string, (v: unknown) => boolean>) =>
				Object.values(checks).every((predicate) => predicate(value)),
			fail: (message: string) => {
				throw new Error(message);
			},
			sleep: () => undefined,
		},
		"k6/http": { default: http },
		"k6/metrics": {
			Counter: metricType("Counter"),
			Rate: metricType("Rate"),
			Trend: metricType("Trend"),
			Gauge: metricType("Gauge"),
		},
		"k6/execution": { default: run.exec },
		"k6/crypto": { default: { randomBytes: (n: number) => new Uint8Array(randomBytes(n)).buffer } },
	};
	const load = (name: string): Record<string, any> => {
		const { outputText } = ts.transpileModule(readScript(name), {
			fileName: name,
			compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 },
		});
		const module = { exports: {} as Record<string, any> };
		const require = (specifier: string) => {
			if (specifier === "./lib.js") return run.lib;
			if (specifier in k6) return k6[specifier];
			throw new Error(`${name} imports ${specifier}, which k6 does not have`);
		};
		const open = (relative: string) => fs.readFileSync(path.resolve(K6_DIR, relative), "utf8");
		vm.runInNewContext(outputText, { module, exports: module.exports, require, open, __ENV: env }, { filename: name });
		return module.exports;
	};
	Object.assign(run.lib, load("lib.js"));
	if (file !== "lib.js") Object.assign(run.exports, load(file));
	return run;
}

function samplesOf(run: K6Run, metric: string): number[] {
	return run.metrics.get(metric)?.samples ?? [];
}

function pathOf(request: SentRequest): string {
	return request.url.replace(/^https?:\/\/[^/]+/, "");
}

// --- tests -----------------------------------------------------------------------------------------------------------

describe("loadtest/gates.json", () => {
	it.each(SUITES)("when %s is read, then its full and ci profiles gate the same metrics", (suite) => {
		const profiles = GATES[suite]!;
		expect(Object.keys(profiles).sort()).toEqual(["ci", "full"]);
		expect(Object.keys(profiles.ci!).sort()).toEqual(Object.keys(profiles.full!).sort());
	});

	it.each(SUITES)("when %s is read, then every threshold is k6 threshold syntax", (suite) => {
		for (const profile of Object.values(GATES[suite]!)) {
			for (const thresholds of Object.values(profile)) {
				expect(Array.isArray(thresholds) && thresholds.length > 0).toBe(true);
				for (const threshold of thresholds) expect(threshold).toMatch(THRESHOLD);
			}
		}
	});
});

describe("loadtest/k6 scripts", () => {
	it("when the folder is listed, then it holds lib.js and one script per suite", () => {
		expect(SCRIPTS.sort()).toEqual(["lib.js", ...SUITES.map((suite) => `${suite}.js`)].sort());
	});

	it("when a broken script is parsed, then the parse helper reports it", () => {
		const problems = parseProblems(
			"broken.js",
			'import http from "k6/http";\nexport default function ( {\n\thttp.get(;\n',
		);
		expect(Array.isArray(problems.parseDiagnostics)).toBe(true);
		expect((problems.parseDiagnostics as unknown[]).length).toBeGreaterThan(0);
		expect(problems.transpileDiagnostics.length).toBeGreaterThan(0);
	});

	it.each(SCRIPTS)("when %s is parsed as an ES module, then it has no syntax errors", (file) => {
		const problems = parseProblems(file, readScript(file));
		expect(Array.isArray(problems.parseDiagnostics)).toBe(true);
		expect(problems.parseDiagnostics).toHaveLength(0);
		expect(problems.transpileDiagnostics).toEqual([]);
		expect(problems.sourceFile.statements.some(ts.isImportDeclaration)).toBe(true);
	});

	it.each(SCRIPTS)("when %s is parsed, then it imports only k6 modules and ./lib.js", (file) => {
		const imports = importedModules(parseProblems(file, readScript(file)).sourceFile);
		for (const specifier of imports) expect([...K6_MODULES, "./lib.js"]).toContain(specifier);
	});

	it.each(SUITES)("when %s.js is read, then it takes its gates from ../gates.json and names its suite", (suite) => {
		const text = readScript(`${suite}.js`);
		expect(text).toContain('const GATES = JSON.parse(open("../gates.json"));');
		expect(text).toContain(`const SUITE = "${suite}";`);
		expect(text).toContain('GATES[SUITE][__ENV.GATE_PROFILE || "full"]');
	});

	it.each(SUITES)("when %s.js is read, then it copies no threshold of gates.json", (suite) => {
		const text = readScript(`${suite}.js`);
		for (const profile of Object.values(GATES[suite]!)) {
			for (const threshold of Object.values(profile).flat()) expect(text).not.toContain(threshold);
		}
	});

	it.each(SUITES)("when %s.js is read, then it declares every custom metric its gates name", (suite) => {
		const text = readScript(`${suite}.js`);
		const custom = Object.keys(GATES[suite]!.full!)
			.map(metricName)
			.filter((name) => !name.startsWith("http_req_"));
		for (const name of new Set(custom)) expect(text).toMatch(new RegExp(`new (Counter|Rate|Trend|Gauge)\\("${name}"`));
	});

	it.each(SUITES)("when %s.js starts, then its options carry the suite's gates of GATE_PROFILE", (suite) => {
		for (const profile of ["full", "ci"]) {
			const env: Record<string, string> = profile === "full" ? {} : { GATE_PROFILE: profile };
			const run = runK6Script(`${suite}.js`, env);
			const gates = GATES[suite]![profile]!;
			expect(run.exports.options.thresholds).toEqual(suite === "flash-sale" ? run.lib.k6Thresholds(gates) : gates);
			for (const name of Object.keys(run.exports.options.thresholds).map(metricName)) {
				if (!name.startsWith("http_req_")) expect(run.metrics.has(name)).toBe(true);
			}
			expect(run.expectedStatuses).toEqual(expect.arrayContaining([200]));
		}
	});

	it("when GATE_PROFILE names no profile, then a suite refuses to start", () => {
		expect(() => runK6Script("browse.js", { GATE_PROFILE: "fast" })).toThrow(/no profile "fast"/);
	});

	it("when an environment number is not one, then a suite refuses to start", () => {
		expect(() => runK6Script("flash-sale.js", { UNITS: "lots" })).toThrow(/UNITS must be a positive integer/);
	});

	it("when baseline starts, then its scenarios share out VUS and run exported flow functions", () => {
		const { exports } = runK6Script("baseline.js", { VUS: "10" });
		const scenarios = exports.options.scenarios;
		expect(Object.keys(scenarios)).toEqual(["browse", "cart", "checkout"]);
		expect([scenarios.browse.vus, scenarios.cart.vus, scenarios.checkout.vus]).toEqual([6, 3, 1]);
		for (const scenario of Object.values<any>(scenarios)) expect(typeof exports[scenario.exec]).toBe("function");
	});
});

describe("loadtest/k6/lib.js", () => {
	const { lib } = runK6Script("lib.js");

	it("when gates are mapped for k6, then only the sold-out latency gate moves, onto sold_out_duration", () => {
		const gates = GATES["flash-sale"]!.full!;
		const mapped = lib.k6Thresholds(gates);
		expect(mapped.sold_out_duration).toEqual(gates["http_req_duration{outcome:sold_out}"]);
		expect(mapped["http_req_duration{outcome:sold_out}"]).toBeUndefined();
		const { "http_req_duration{outcome:sold_out}": _moved, ...rest } = gates;
		const { sold_out_duration: _added, ...mappedRest } = mapped;
		expect(mappedRest).toEqual(rest);
		expect(lib.k6Thresholds(GATES.cart!.full!)).toEqual(GATES.cart!.full);
	});

	it("when a key is made, then it is a version 4 UUID", () => {
		expect(lib.uuidv4()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
	});

	it("when the catalog is named, then 200 SKUs, names and prices follow the contract", () => {
		expect(lib.catalogProduct(7)).toEqual({
			sku: "LOAD-007",
			name: "Load hollow anchor 7",
			category: "load-h",
			priceCents: 500 + 7 * 37,
			currency: "EUR",
		});
		const names = new Set(Array.from({ length: lib.CATALOG_SIZE }, (_, i) => lib.catalogProduct(i).name));
		expect(names.size).toBe(200);
	});
});

describe("setup against a fake shop", () => {
	/** Products and accounts that exist already answer 409, as on a second run. */
	const secondRun: Shop = (request) => {
		const route = `${request.method} ${pathOf(request).replace(/\?.*/, "")}`;
		const body = (request.body ?? {}) as Record<string, string>;
		const email = String(body.email);
		if (route === "POST /api/products") {
			return body.sku === "LOAD-001"
				? { status: 409, body: { error: { code: "SKU_TAKEN" } } }
				: { status: 201, body: { id: `id-${body.sku}` } };
		}
		if (route === "GET /api/products")
			return { status: 200, body: { items: [{ id: "old-LOAD-001", sku: "LOAD-001" }] } };
		if (route === "POST /api/inventory/stock")
			return { status: 200, body: { sku: body.sku, available: body.available } };
		if (route === "POST /api/auth/signup") {
			return email.endsWith("-1@load.test")
				? { status: 409, body: { error: { code: "EMAIL_TAKEN" } } }
				: { status: 201, body: { accessToken: `new-${email}` } };
		}
		if (route === "POST /api/auth/login") return { status: 200, body: { accessToken: `old-${email}` } };
		return { status: 404 };
	};

	it("when cart sets up a second time, then it reuses taken SKUs and accounts", () => {
		const run = runK6Script("cart.js", { OPERATOR_TOKEN: "op", RUN_ID: "r7", VUS: "3" }, secondRun);
		const data = run.exports.setup();
		expect(data.productIds).toHaveLength(200);
		expect(data.productIds.slice(0, 3)).toEqual(["id-LOAD-000", "old-LOAD-001", "id-LOAD-002"]);
		expect(data.tokens).toEqual([
			"new-load-r7-cart-0@load.test",
			"old-load-r7-cart-1@load.test",
			"new-load-r7-cart-2@load.test",
		]);
		expect(run.sent.every((request) => request.tags.flow === "setup")).toBe(true);
		const creates = run.sent.filter((request) => pathOf(request) === "/api/products");
		expect(creates[0]!.headers.Authorization).toBe("Bearer op");
	});

	it("when flash-sale sets up, then it creates the SKU, sets its stock and signs up USERS shoppers", () => {
		const run = runK6Script(
			"flash-sale.js",
			{ OPERATOR_TOKEN: "op", RUN_ID: "r7", USERS: "2", UNITS: "30" },
			secondRun,
		);
		const data = run.exports.setup();
		expect(data).toEqual({
			runId: "r7",
			operator: "op",
			sku: "FLASH-r7",
			tokens: ["new-load-r7-0@load.test", "old-load-r7-1@load.test"],
		});
		expect(run.sent[0]!.body).toEqual({
			sku: "FLASH-r7",
			name: "Flash sale r7",
			category: "load-flash",
			priceCents: 1999,
			currency: "EUR",
		});
		expect(run.sent[1]!.body).toEqual({ sku: "FLASH-r7", available: 30 });
	});

	it("when checkout sets up, then every checkout SKU gets a million units", () => {
		const run = runK6Script("checkout.js", { OPERATOR_TOKEN: "op", VUS: "1" }, secondRun);
		run.exports.setup();
		const stock = run.sent.filter((request) => pathOf(request) === "/api/inventory/stock").map((r) => r.body);
		expect(stock).toEqual(Array.from({ length: 10 }, (_, n) => ({ sku: `LOAD-CHK-${n}`, available: 1000000 })));
	});

	it("when signup is rate limited, then setup says how to start the shop", () => {
		const run = runK6Script("checkout.js", { OPERATOR_TOKEN: "op", VUS: "1" }, (request) =>
			pathOf(request) === "/api/auth/signup" ? { status: 429 } : secondRun(request),
		);
		expect(() => run.exports.setup()).toThrow(/RATE_LIMIT_AUTH=0/);
	});

	it("when no operator is configured, then setup says which variables to set", () => {
		const run = runK6Script("browse.js", {}, secondRun);
		expect(() => run.exports.setup()).toThrow(/OPERATOR_TOKEN/);
	});
});

describe("flows against a fake shop", () => {
	it("when the flash sale answers sold out, then the answer is timed as sold out and counts as no error", () => {
		const run = runK6Script("flash-sale.js", { RETRY_SHARE: "0", RELEASE_SHARE: "0" }, () => ({
			status: 409,
			body: { error: { status: 409, code: "INSUFFICIENT_STOCK" } },
		}));
		run.exports.default({ runId: "r1", sku: "FLASH-r1", tokens: ["t0"] });
		expect(run.sent).toHaveLength(1);
		expect(run.sent[0]!.tags).toEqual({ flow: "flash-sale", step: "reserve" });
		expect(run.sent[0]!.body).toEqual({ orderId: "fs-r1-1-0", sku: "FLASH-r1", quantity: 1 });
		expect(run.sent[0]!.headers).toMatchObject({ Authorization: "Bearer t0", "X-API-Version": "v1" });
		expect(samplesOf(run, "sold_out_duration")).toEqual([7]);
		expect(run.expectedStatuses).toEqual([200, 409, 429]);
		expect(samplesOf(run, "server_errors")).toEqual([0]);
	});

	it("when a retried order gets another reservation, then double_reservations counts it", () => {
		let reserves = 0;
		const run = runK6Script("flash-sale.js", { RETRY_SHARE: "1", RELEASE_SHARE: "1" }, (request) => {
			if (pathOf(request) === "/api/inventory/release") return { status: 200, body: { status: "RELEASED" } };
			reserves += 1;
			return { status: 200, body: { reservationId: `other-${reserves}`, status: "RESERVED" } };
		});
		run.exports.default({ runId: "r1", sku: "FLASH-r1", tokens: ["t0"] });
		expect(run.sent.map((request) => request.tags.step)).toEqual(["reserve", "retry", "release"]);
		expect(samplesOf(run, "double_reservations")).toEqual([0, 1]);
	});

	it("when the stock shows more sold than was for sale, then teardown counts oversold and fails the run", () => {
		const run = runK6Script("flash-sale.js", { UNITS: "10" }, () => ({
			status: 200,
			body: { sku: "FLASH-r1", available: 0, reserved: 8, confirmed: 3 },
		}));
		expect(() => run.exports.teardown({ operator: "op", sku: "FLASH-r1" })).toThrow(/oversold: 11 units/);
		expect(samplesOf(run, "oversold")).toEqual([1]);
		expect(run.sent[0]!.headers.Authorization).toBe("Bearer op");
	});

	it("when a shopper browses, then every step is sent, tagged with the browse flow", () => {
		const run = runK6Script("browse.js", {}, (request) =>
			pathOf(request).startsWith("/api/products?")
				? { status: 200, body: { items: [{ id: "p-1" }], page: 1, size: 20, total: 1 } }
				: { status: 200, body: { id: "p-1" } },
		);
		run.exports.default();
		expect(run.sent.map((request) => request.tags.step)).toEqual(["list", "category", "search", "product"]);
		expect(run.sent.every((request) => request.tags.flow === "browse")).toBe(true);
		expect(pathOf(run.sent[3]!)).toBe("/api/products/p-1");
	});

	/** A cart service in memory; `forgetRemoves` makes it inconsistent. */
	function fakeCart(forgetRemoves: boolean): Shop {
		const lines = new Map<string, number>();
		return (request) => {
			const route = `${request.method} ${pathOf(request)}`;
			if (route === "DELETE /api/cart") {
				lines.clear();
				return { status: 204 };
			}
			if (route === "POST /api/cart/items") {
				const { productId, quantity } = request.body as { productId: string; quantity: number };
				lines.set(productId, (lines.get(productId) ?? 0) + quantity);
			} else if (request.method === "DELETE" && !forgetRemoves) {
				lines.delete(pathOf(request).split("/").pop()!);
			}
			return { status: 200, body: { items: [...lines].map(([productId, quantity]) => ({ productId, quantity })) } };
		};
	}

	it("when the cart keeps what was put in, then every view counts as consistent", () => {
		const run = runK6Script("cart.js", {}, fakeCart(false));
		run.exec.vu.idInTest = 2;
		run.exports.default({ productIds: ["p0", "p1", "p2", "p3"], tokens: ["t0", "t1"] });
		expect(run.sent.map((request) => request.tags.step)).toEqual(["clear", "add", "add", "view", "remove", "view"]);
		expect(run.sent.map((request) => request.body?.productId).filter(Boolean)).toEqual(["p2", "p3"]);
		expect(run.sent[0]!.headers.Authorization).toBe("Bearer t1");
		expect(samplesOf(run, "cart_consistency")).toEqual([1, 1]);
	});

	it("when the cart forgets a removal, then cart_consistency records it", () => {
		const run = runK6Script("cart.js", {}, fakeCart(true));
		run.exports.default({ productIds: ["p0", "p1"], tokens: ["t0"] });
		expect(samplesOf(run, "cart_consistency")).toEqual([1, 0]);
	});

	it("when an order is confirmed after a few polls, then checkout_success records a success", () => {
		let polls = 0;
		const run = runK6Script("checkout.js", {}, (request) => {
			if (request.method === "POST") return { status: 201, body: { orderId: "o-1", status: "PENDING" } };
			polls += 1;
			return { status: 200, body: { orderId: "o-1", status: polls < 3 ? "PENDING" : "CONFIRMED" } };
		});
		run.exports.default({ tokens: ["t0"] });
		expect(run.sent.map((request) => request.tags.step)).toEqual(["place_order", "view_order", "poll", "poll"]);
		expect(run.sent[0]!.body).toEqual({
			items: [{ sku: expect.stringMatching(/^LOAD-CHK-\d$/), quantity: 1 }],
			paymentMethod: "sandbox_authorize",
		});
		expect(run.sent[0]!.headers["Idempotency-Key"]).toMatch(/^[0-9a-f-]{36}$/);
		expect(samplesOf(run, "checkout_success")).toEqual([1]);
	});

	it("when placing an order fails with a 5xx, then it counts as a failed checkout and a server error", () => {
		const run = runK6Script("checkout.js", {}, () => ({ status: 503, body: { error: { code: "X" } } }));
		run.exports.default({ tokens: ["t0"] });
		expect(samplesOf(run, "checkout_success")).toEqual([0]);
		expect(samplesOf(run, "server_errors")).toEqual([0, 1]);
	});
});
