import type { Errors, ServiceBroker } from "moleculer";
import { QueryTypes, type Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { signAccessToken } from "../../lib/auth/access-token";
import { operatorCommands } from "../../lib/repl/operator-commands";
import authService from "../../services/auth/auth.service";
import gatewayService from "../../services/gateway/api.service";
import productsService from "../../services/products/products.service";
import type { ReindexJob } from "../../services/search/reindex-jobs.repository";
import { loadCatalogFixture } from "../../services/search/relevance/evaluate-relevance";
import searchService from "../../services/search/search.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { waitFor } from "../support/events/harness";
import { api, ERROR_SHAPE, gatewayBaseUrl, type JsonResponse } from "../support/http";
import { infra } from "../support/infra";
import { testNamespace } from "../support/test-namespaces";

/** The bound: a product change is searchable within 2 s of its commit. */
const SEARCHABLE_WITHIN_MS = 2_000;

type MoleculerError = Errors.MoleculerError;

describe.each([
	["embedded: SQLite, in-process events, in-process index", () => ({})],
	[
		"cluster: MariaDB, Kafka, OpenSearch",
		() => ({
			DATABASE_URL: infra.databaseUrl,
			EVENTS_URL: infra.kafkaUrl,
			SEARCH_URL: infra.searchUrl,
			SEARCH_INDEX: `${testNamespace("test")}.products`,
		}),
	],
])("search through the gateway (%s)", (_label, envOf) => {
	let config: AppConfig;
	let broker: ServiceBroker;
	let base: string;
	let admin: string;
	let shopper: string;
	/** This run's products are in their own category, so facets and totals see only them. */
	const category = `search-${uniqueId()}`;

	const as = (token?: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
	const get = (path: string, token?: string): Promise<JsonResponse> => api(base, "GET", path, undefined, as(token));
	const search = (query: string) => get(`/api/search/products?category=${category}&${query}`);
	const askReindex = () => api(base, "POST", "/api/search/reindex/products", undefined, as(admin));
	/** The reindex job once it is no longer RUNNING; `meanwhile` runs on every poll. */
	const reindexEnded = (jobId: string, meanwhile?: () => Promise<void>) =>
		waitFor("the reindex to end", async () => {
			await meanwhile?.();
			const job = await get(`/api/search/reindex/${jobId}`, admin);
			return job.body.status === "RUNNING" ? undefined : job.body;
		});
	const skusOf = (page: JsonResponse) => (page.body.items as Array<{ sku: string }>).map((i) => i.sku);

	const createProduct = async (over: Record<string, unknown>) => {
		const created = await api(
			base,
			"POST",
			"/api/products",
			{ category, currency: "EUR", priceCents: 1500, description: "", ...over },
			as(admin),
		);
		expect(created.status).toBe(201);
		return created.body as { id: string; sku: string; version: number };
	};

	/** Waits until `query` finds `sku` (or, with `present` false, no longer finds it); answers the delay. */
	const searchableAfter = async (query: string, sku: string, present = true): Promise<number> => {
		const started = Date.now();
		await waitFor(`${query} to ${present ? "find" : "lose"} ${sku}`, async () =>
			skusOf(await search(query)).includes(sku) === present ? true : undefined,
		);
		return Date.now() - started;
	};

	beforeAll(async () => {
		config = testConfig({ ...envOf(), DB_NAME_PREFIX: `shop_t${uniqueId()}_` });
		broker = await startBroker(config, [
			gatewayService(config),
			authService(config),
			productsService(config),
			searchService(config),
		]);
		base = gatewayBaseUrl(broker);
		admin = await signAccessToken({ sub: "ops", roles: ["admin"] }, config.auth);
		shopper = await signAccessToken({ sub: "shopper", roles: ["customer"] }, config.auth);
	});
	afterAll(() => broker?.stop());

	it("when a product is created, changed and deleted, then search follows each within 2 s of its commit", async () => {
		const sku = `LAMP-${uniqueId()}`.toUpperCase();
		const created = await createProduct({ sku, name: "Brass desk lamp", description: "Warm light for late reading." });
		expect(await searchableAfter("q=lamp", sku)).toBeLessThan(SEARCHABLE_WITHIN_MS);

		const replaced = await api(
			base,
			"PUT",
			`/api/products/${created.id}`,
			{ name: "Copper floor lantern", category, priceCents: 2500, currency: "EUR" },
			as(admin),
		);
		expect(replaced.status).toBe(200);
		expect(await searchableAfter("q=lantern", sku)).toBeLessThan(SEARCHABLE_WITHIN_MS);
		expect(skusOf(await search("q=brass"))).not.toContain(sku);

		expect((await api(base, "DELETE", `/api/products/${created.id}`, undefined, as(admin))).status).toBe(204);
		expect(await searchableAfter("q=lantern", sku, false)).toBeLessThan(SEARCHABLE_WITHIN_MS);
	});

	it("when a shopper mistypes, searches a SKU or types a prefix, then the product they mean comes first", async () => {
		const kettle = await createProduct({ sku: `KTL-${uniqueId()}`.toUpperCase(), name: "Stovetop kettle" });
		const cable = await createProduct({
			sku: `CBL-${uniqueId()}`.toUpperCase(),
			name: "Braided charging cable",
			description: "Fits the kettle base charger too.",
		});
		await searchableAfter("q=kettle", kettle.sku);
		await searchableAfter("q=braided", cable.sku);

		expect(skusOf(await search("q=ketle"))[0]).toBe(kettle.sku);
		// A name match outranks a description-only match.
		expect(skusOf(await search("q=kettle"))).toEqual([kettle.sku, cable.sku]);
		expect(skusOf(await search(`q=${cable.sku.toLowerCase()}`))[0]).toBe(cable.sku);
		expect(skusOf(await search("q=stovet"))[0]).toBe(kettle.sku);

		const suggestions = await get("/api/search/autocomplete?q=stov&limit=5");
		expect(suggestions.status).toBe(200);
		expect(suggestions.body.suggestions).toContainEqual({ text: "Stovetop kettle", id: kettle.id, sku: kettle.sku });
	});

	it("when filtered, then the answer has the products list's shape with scores and facets over the query", async () => {
		const cheap = await createProduct({ sku: `SCK-${uniqueId()}`.toUpperCase(), name: "Wool socks", priceCents: 900 });
		const dear = await createProduct({
			sku: `SCK-${uniqueId()}`.toUpperCase(),
			name: "Alpaca socks",
			priceCents: 3900,
		});
		await searchableAfter("q=socks", cheap.sku);
		await searchableAfter("q=socks", dear.sku);

		const page = await search("q=socks&maxPriceCents=1000&size=5");
		expect(page.status).toBe(200);
		expect(page.body).toMatchObject({ page: 1, size: 5, total: 1 });
		expect(page.body.items).toEqual([
			{
				id: cheap.id,
				sku: cheap.sku,
				name: "Wool socks",
				category,
				priceCents: 900,
				currency: "EUR",
				active: true,
				score: expect.any(Number),
			},
		]);
		expect(page.body.facets.category).toEqual([{ value: category, count: 1 }]);
		const buckets = page.body.facets.price as Array<{ fromCents: number; count: number }>;
		expect(buckets.find((b) => b.fromCents === 0)?.count).toBe(1);
	});

	it("when a query is not a shopper's (syntax, too long, control characters), then it is 400 and nothing is asked of the engine", async () => {
		for (const q of ["name:lamp*", "(a OR b)^3", "x".repeat(101), "lamp\u0007", "<script>"]) {
			const answer = await get(`/api/search/products?q=${encodeURIComponent(q)}`);
			expect(answer.status).toBe(400);
			expect(answer.body).toMatchObject(ERROR_SHAPE);
		}
		expect((await get("/api/search/autocomplete")).status).toBe(400);
		expect((await get("/api/search/products?size=101")).status).toBe(400);
	});

	it("when the index's upkeep is asked for without the admin role, then it is 401 or 403", async () => {
		expect((await api(base, "POST", "/api/search/reindex/products")).status).toBe(401);
		expect((await api(base, "POST", "/api/search/reindex/products", undefined, as(shopper))).status).toBe(403);
		expect((await get("/api/search/admin/relevance/evaluate", shopper)).status).toBe(403);
	});

	it("when an operator indexes an older version directly, then it is stale and the index keeps the newer one", async () => {
		const product = await createProduct({ sku: `OLD-${uniqueId()}`.toUpperCase(), name: "Walnut tray" });
		await searchableAfter("q=walnut", product.sku);
		const older = {
			...product,
			name: "Pine tray",
			description: "",
			category,
			priceCents: 1,
			currency: "EUR",
			active: true,
			version: 0,
		};
		const stale = await api(base, "POST", "/api/search/index/products", { ...older, version: 1 }, as(admin));
		expect(stale.status).toBe(200);
		expect(stale.body).toMatchObject({ productId: product.id, outcome: "stale" });
		expect(skusOf(await search("q=pine"))).not.toContain(product.sku);
	});

	it("when an operator reindexes, then the job runs to COMPLETED and search serves throughout", async () => {
		const product = await createProduct({ sku: `RIX-${uniqueId()}`.toUpperCase(), name: "Linen apron" });
		await searchableAfter("q=apron", product.sku);
		// The in-process index's first build may still run on a busy machine: an operator waits for it too.
		const started = await waitFor("no other reindex to run", async () => {
			const answer = await askReindex();
			return answer.status === 409 ? undefined : answer;
		});
		expect(started.status).toBe(202);
		expect(started.body).toMatchObject({ status: "RUNNING", statusUrl: `/api/search/reindex/${started.body.jobId}` });
		const done = await reindexEnded(started.body.jobId, async () => {
			expect(skusOf(await search("q=apron"))).toContain(product.sku);
		});
		expect(done).toMatchObject({ status: "COMPLETED", error: null });
		expect(done.processed).toBeGreaterThanOrEqual(done.total);
		expect(skusOf(await search("q=apron"))).toContain(product.sku);
		expect((await get(`/api/search/reindex/${uniqueId()}`, admin)).status).toBe(400);
	});

	it("when two reindexes are asked at once, then one runs to COMPLETED and the other is 409 naming it", async () => {
		const answers = await Promise.all([askReindex(), askReindex()]);
		expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
		const started = answers.find((a) => a.status === 202) as JsonResponse;
		const refused = answers.find((a) => a.status === 409) as JsonResponse;
		expect(refused.body).toMatchObject({ error: { code: "REINDEX_RUNNING", details: { jobId: started.body.jobId } } });
		expect(await reindexEnded(started.body.jobId)).toMatchObject({ status: "COMPLETED", error: null });
	});

	// Only where nodes share an engine: an in-process index is each node's own, so each node may rebuild its own.
	if ("SEARCH_URL" in envOf()) {
		it("when two search nodes sharing the index are asked at once, then one rebuilds and the other is 409 naming it", async () => {
			// A second node on the same database and index (and its own products service, as a node would call one).
			const other = await startBroker(config, [productsService(config), searchService(config)]);
			try {
				const asked = await Promise.allSettled([
					broker.call<ReindexJob>("search.reindex"),
					other.call<ReindexJob>("search.reindex"),
				]);
				const started = asked.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
				const refused = asked.flatMap((a) => (a.status === "rejected" ? [a.reason as MoleculerError] : []));
				expect(started).toHaveLength(1);
				expect(refused).toHaveLength(1);
				expect(refused[0]).toMatchObject({ code: 409, type: "REINDEX_RUNNING", data: { jobId: started[0]?.jobId } });
				expect(await reindexEnded(started[0]?.jobId as string)).toMatchObject({ status: "COMPLETED", error: null });
			} finally {
				await other.stop();
			}
		});
	}

	// Only an in-process index builds itself at start.
	if (!("SEARCH_URL" in envOf())) {
		it("when an operator reindexes as the node starts, then the index is built once, not again behind their back", async () => {
			const fresh = testConfig({ ...envOf(), DB_NAME_PREFIX: `shop_t${uniqueId()}_` });
			const node = await startBroker(fresh, [productsService(fresh), searchService(fresh)]);
			try {
				const asked = await node.call<ReindexJob>("search.reindex").catch((err: MoleculerError) => err);
				// Either the operator's rebuild is the first build, or the first build had begun and theirs is 409 naming it.
				const first = "jobId" in asked ? asked.jobId : (asked.data as { jobId: string }).jobId;
				const ended = await waitFor("the first build to end", async () => {
					const job = await node.call<ReindexJob, { jobId: string }>("search.reindexStatus", { jobId: first });
					return job.status === "RUNNING" ? undefined : job;
				});
				expect(ended).toMatchObject({ status: "COMPLETED" });
				// The first build used to look for products once a second, then rebuild whatever had happened meanwhile.
				await new Promise((resolve) => setTimeout(resolve, 1_500));
				const search = node.getLocalService("search") as unknown as { sequelize: Sequelize };
				const jobs = await search.sequelize.query("SELECT job_id FROM reindex_jobs", { type: QueryTypes.SELECT });
				expect(jobs).toEqual([{ job_id: first }]);
			} finally {
				await node.stop();
			}
		});
	}

	it("when an operator runs the REPL's reindex, then it prints the job's progress until COMPLETED", async () => {
		const printed: string[] = [];
		const reindex = operatorCommands((line) => printed.push(line)).find((c) => c.command === "reindex");
		await reindex?.action(broker, { options: {} });
		expect(printed[printed.length - 1]).toMatch(/^reindex [0-9a-f-]{36}: COMPLETED (\d+)\/\1 products$/);
	});

	it("when many shoppers search the catalog for the same page at once, then search is asked once", async () => {
		const product = await createProduct({ sku: `SCARF-${uniqueId()}`.toUpperCase(), name: "Woolen scarf" });
		await searchableAfter("q=scarf", product.sku);
		// The engine answers 200 ms late (a cold engine), so every request below arrives while the first waits.
		const engine = (broker.getLocalService("search") as unknown as { engine: { search(query: unknown): unknown } })
			.engine;
		const answerOf = engine.search.bind(engine);
		const searched = jest.spyOn(engine, "search").mockImplementation(async (query) => {
			await new Promise((resolve) => setTimeout(resolve, 200));
			return answerOf(query);
		});
		try {
			const answers = await Promise.all(
				Array.from({ length: 20 }, () => get(`/api/products?category=${category}&q=scarf&size=7`)),
			);
			for (const answer of answers) {
				expect(answer.status).toBe(200);
				expect(answer.headers.get("x-search-fallback")).toBeNull();
				expect(answer.body).toMatchObject({ page: 1, size: 7, total: 1, items: [{ id: product.id }] });
			}
			expect(searched).toHaveBeenCalledTimes(1);
		} finally {
			searched.mockRestore();
		}
	});

	it("when the catalog is searched with q, then search ranks it; with search gone, SQL answers and says so", async () => {
		const product = await createProduct({ sku: `HOOD-${uniqueId()}`.toUpperCase(), name: "Fleece hoodie" });
		await searchableAfter("q=hoodie", product.sku);
		const viaSearch = await get(`/api/products?category=${category}&q=hodie`);
		expect(viaSearch.status).toBe(200);
		expect(viaSearch.headers.get("x-search-fallback")).toBeNull();
		expect(viaSearch.body.items[0]).toMatchObject({ id: product.id, description: "", version: 1 });

		const syntax = await get(`/api/products?category=${category}&q=${encodeURIComponent("hoodie_")}`);
		expect(syntax.headers.get("x-search-fallback")).toBe("unsupported-query");

		const search = broker.getLocalService("search");
		await broker.destroyService(search);
		try {
			const viaSql = await get(`/api/products?category=${category}&q=hoodie`);
			expect(viaSql.status).toBe(200);
			expect(viaSql.headers.get("x-search-fallback")).toBe("unavailable");
			expect(viaSql.body.items.map((p: { id: string }) => p.id)).toEqual([product.id]);
			expect((await get("/api/search/products?q=hoodie")).status).toBe(503);
		} finally {
			broker.createService(searchService(config));
			await broker.waitForServices(["search"]);
		}
	});
});

describe("search relevance on the curated dataset (embedded engine, fixture catalog)", () => {
	let broker: ServiceBroker;
	let base: string;
	let admin: string;

	beforeAll(async () => {
		const config = testConfig({ DB_NAME_PREFIX: `shop_t${uniqueId()}_` });
		broker = await startBroker(config, [
			gatewayService(config),
			authService(config),
			productsService(config),
			searchService(config),
		]);
		base = gatewayBaseUrl(broker);
		admin = await signAccessToken({ sub: "ops", roles: ["admin"] }, config.auth);
		for (const product of loadCatalogFixture()) {
			const created = await api(base, "POST", "/api/products", product, { authorization: `Bearer ${admin}` });
			expect(created.status).toBe(201);
		}
	}, 180_000);
	afterAll(() => broker?.stop());

	it("when the dataset is evaluated against the live index, then it meets its target pass rate", async () => {
		const fixtureSize = loadCatalogFixture().length;
		await waitFor("the index to hold the fixture", async () => {
			const status = await broker.call<{ documents: number }>("search.status");
			return status.documents >= fixtureSize ? true : undefined;
		});
		const report = await api(base, "GET", "/api/search/admin/relevance/evaluate", undefined, {
			authorization: `Bearer ${admin}`,
		});
		expect(report.status).toBe(200);
		const failed = report.body.queries.filter((q: { passed: boolean }) => !q.passed);
		expect({ passRate: report.body.passRate, failed }).toMatchObject({ passRate: expect.any(Number) });
		expect(report.body.meetsTarget).toBe(true);
	});

	it("when the dataset's health is asked, then every expected product is in the catalog and for sale", async () => {
		const health = await api(base, "GET", "/api/search/admin/relevance/dataset/health", undefined, {
			authorization: `Bearer ${admin}`,
		});
		expect(health.status).toBe(200);
		expect(health.body).toMatchObject({ healthy: true, stale: false, missingProducts: [], inactiveProducts: [] });
	});
});
