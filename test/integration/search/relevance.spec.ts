/**
 * The relevance gate: the curated dataset over the fixture catalog, on every engine we ship, must meet
 * the configured target pass rate (SEARCH_RELEVANCE_TARGET_PASS_RATE's default). A ranking change that
 * makes shoppers' queries fail, on either engine, fails CI here. The failed queries are in the message.
 */
import { loadConfig } from "../../../config";
import { EmbeddedSearchEngine } from "../../../services/search/engines/embedded-engine";
import { OpenSearchEngine } from "../../../services/search/engines/opensearch-engine";
import type { SearchEngine } from "../../../services/search/engines/search-engine";
import { evaluateRelevance } from "../../../services/search/relevance/evaluate-relevance";
import {
	fixtureDocuments,
	loadCatalogFixture,
	loadRelevanceDataset,
} from "../../../services/search/relevance/relevance-dataset";
import { infra } from "../../support/infra";
import { testNamespace } from "../../support/test-namespaces";

const targetPassRate = loadConfig({}).search.relevanceTargetPassRate;

describe.each([
	["embedded", () => new EmbeddedSearchEngine()],
	[
		"opensearch",
		() => new OpenSearchEngine({ url: infra.searchUrl, indexPrefix: `${testNamespace("test")}.rel`, refresh: true }),
	],
])("relevance of the %s engine on the curated dataset", (_label, makeEngine: () => SearchEngine) => {
	let engine: SearchEngine;

	beforeAll(async () => {
		engine = makeEngine();
		await engine.start();
		const outcomes = await engine.apply(
			fixtureDocuments(loadCatalogFixture()).map((document) => ({ kind: "upsert" as const, document })),
		);
		expect(outcomes.every((o) => o === "applied")).toBe(true);
	});
	afterAll(async () => {
		if (engine instanceof OpenSearchEngine) await engine.dropAllIndexes();
		await engine?.stop();
	});

	it("when every curated query runs, then the pass rate meets the target", async () => {
		const report = await evaluateRelevance(engine, loadRelevanceDataset(), { targetPassRate });
		const failed = report.queries
			.filter((q) => !q.passed)
			.map((q) => `${q.query}: got ${q.top10.slice(0, 3).join(", ")}`);
		// On a miss, the failing queries (and what came instead) are the message.
		expect(report.meetsTarget ? [] : failed).toEqual([]);
		expect(report.passRate).toBeGreaterThanOrEqual(targetPassRate);
	});
});
