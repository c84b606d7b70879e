import type { SearchDocument, SearchEngine } from "./engines/search-engine";
import type { ReindexJobsRepository } from "./reindex-jobs.repository";

/** One page of the catalog, as `products.exportPage` answers. */
export interface CatalogPage {
	items: SearchDocument[];
	nextAfterId: string | null;
}

export interface ReindexDeps {
	engine: SearchEngine;
	jobs: ReindexJobsRepository;
	readPage(afterId: string | undefined, limit: number): Promise<CatalogPage>;
	pageSize: number;
	log(message: string): void;
	/** Counts the documents a rebuild added. */
	added(count: number): void;
}

/** The catalog's fields the index keeps (a page carries createdAt and updatedAt too). */
export function toSearchDocument(product: SearchDocument): SearchDocument {
	const { id, sku, name, description, category, priceCents, currency, active, version } = product;
	return { id, sku, name, description, category, priceCents, currency, active, version };
}

/**
 * Rebuilds the index from the catalog beside the live one, one page in memory at a time, and switches
 * to it only when every page is in: searches never see a half-built index, and a failure leaves the
 * old one serving. Changes that arrive meanwhile reach both indexes (the engine's rebuild contract),
 * and versions settle any that race a page. Progress is in the job's row and, every tenth of the
 * catalog, in the log.
 */
export async function runReindex(jobId: string, total: number, deps: ReindexDeps): Promise<void> {
	const { engine, jobs, readPage, pageSize, log } = deps;
	const started = Date.now();
	let processed = 0;
	let nextLogAt = Math.max(1, Math.ceil(total / 10));
	const rebuild = await engine.beginRebuild();
	try {
		let afterId: string | undefined;
		for (;;) {
			const page = await readPage(afterId, pageSize);
			if (page.items.length > 0) {
				await rebuild.add(page.items.map(toSearchDocument));
				processed += page.items.length;
				deps.added(page.items.length);
				await jobs.progress(jobId, processed);
				if (processed >= nextLogAt) {
					log(`Reindex ${jobId}: ${processed}/${total} products`);
					nextLogAt += Math.max(1, Math.ceil(total / 10));
				}
			}
			if (page.nextAfterId === null) break;
			afterId = page.nextAfterId;
		}
		await rebuild.commit();
	} catch (err) {
		await rebuild.abort().catch(() => undefined);
		await jobs.finish(jobId, "FAILED", (err as Error).message);
		log(
			`Reindex ${jobId} failed after ${processed} products: ${(err as Error).message}; the previous index still serves`,
		);
		throw err;
	}
	await jobs.finish(jobId, "COMPLETED", null);
	log(`Reindex ${jobId} completed: ${processed} products in ${Date.now() - started} ms`);
}
