/** Part 3: the curated relevance dataset over the fixture catalog, on one engine. */
import type { IndexChange } from "../../services/search/engines/search-engine";
import {
	evaluateRelevance,
	fixtureDocuments,
	loadCatalogFixture,
	loadRelevanceDataset,
} from "../../services/search/relevance/evaluate-relevance";
import type { BenchEngine } from "./engines";
import type { EngineKey } from "./settings";

export interface RelevanceFigures {
	engine: EngineKey;
	queries: number;
	passRate: number;
	targetPassRate: number;
	meetsTarget: boolean;
	ndcgAt10: number;
	mrr: number;
	/** `intent "query"` of each failed query. */
	failed: string[];
}

export async function measureRelevance(bench: BenchEngine, targetPassRate: number): Promise<RelevanceFigures> {
	await bench.engine.start();
	try {
		const documents = fixtureDocuments(loadCatalogFixture());
		await bench.engine.apply(documents.map((document): IndexChange => ({ kind: "upsert", document })));
		await bench.refresh();
		const report = await evaluateRelevance(bench.engine, loadRelevanceDataset(), { targetPassRate });
		return {
			engine: bench.key,
			queries: report.queries.length,
			passRate: report.passRate,
			targetPassRate,
			meetsTarget: report.meetsTarget,
			ndcgAt10: report.ndcgAt10,
			mrr: report.mrr,
			failed: report.queries.filter((q) => !q.passed).map((q) => `${q.intent} "${q.query}"`),
		};
	} finally {
		await bench.close();
	}
}
