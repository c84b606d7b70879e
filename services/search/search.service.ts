import { randomUUID } from "node:crypto";
import type { Context, Service, ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { defineService } from "../../lib/define-schema";
import type { EventEnvelope } from "../../lib/events/event-envelope";
import { setReplyStatus } from "../../lib/reply-status";
import { DbMixin } from "../../mixins/db.mixin";
import { type DedupMethods, DedupMixin, dedupMetrics } from "../../mixins/dedup.mixin";
import { type MetricsMethods, MetricsMixin } from "../../mixins/metrics.mixin";
import { createSearchEngine } from "./engines/create-engine";
import type { ChangeOutcome, IndexChange, SearchDocument, SearchEngine, SearchQuery } from "./engines/search-engine";
import { productIndexChannels } from "./index-channels";
import { searchMigrations } from "./migrations";
import { type CatalogPage, runReindex } from "./reindex-job";
import { type ReindexJob, ReindexJobsRepository } from "./reindex-jobs.repository";
import { relevanceActions } from "./relevance-actions";
import { ReindexJobNotFoundError, ReindexRunningError, SearchUnavailableError } from "./search.errors";
import { SEARCH_METRIC, searchMetrics } from "./search.metrics";
import {
	autocompleteParams,
	indexProductParams,
	indexProductsBulkParams,
	reindexJobParams,
	removeFromIndexParams,
	searchProductsParams,
} from "./search.params";

interface SearchVars {
	sequelize: Sequelize;
	engine: SearchEngine;
	jobs: ReindexJobsRepository;
	/** The rebuild this node runs, if any (awaited on stop). */
	reindexing: Promise<void> | null;
	/** The last reindex start on this node, settled or not, with the job it began: the next start waits for it. */
	reindexStart: Promise<ReindexJob | undefined>;
	/** Reindex starts on this node not settled yet (see startReindex). */
	reindexStartsPending: number;
	/** Whether this node has begun a rebuild since it started (the in-process index's first build skips then). */
	rebuiltSinceStart: boolean;
	/** The tombstone purge: first run a minute after start, then hourly. */
	purgeTimer: NodeJS.Timeout | null;
}

export interface SearchMethods extends MetricsMethods, DedupMethods {
	indexFromEvent(envelope: EventEnvelope, change: IndexChange): Promise<void>;
	applyChanges(changes: readonly IndexChange[], source: "event" | "api"): Promise<ChangeOutcome[]>;
	/** Runs an engine call; a failure is logged and becomes 503 SEARCH_UNAVAILABLE. */
	engineCall<T>(operation: string, call: () => Promise<T>): Promise<T>;
	startReindex(): Promise<ReindexJob>;
	/** Starts a rebuild unless one is running (REINDEX_RUNNING); called by startReindex only. */
	claimReindex(): Promise<ReindexJob>;
}

export type SearchThis = Service & SearchVars & SearchMethods;

/** How long a start waits for the engine (a search server starting beside us) before it gives up. */
const ENGINE_START_WAIT_MS = 60_000;
/** How often the in-process index's first build looks for products (Moleculer's default is every second). */
const PRODUCTS_POLL_MS = 100;
const TOMBSTONE_PURGE_FIRST_MS = 60_000;
const TOMBSTONE_PURGE_EVERY_MS = 3_600_000;

async function startEngine(engine: SearchEngine, log: (msg: string) => void): Promise<void> {
	const deadline = Date.now() + ENGINE_START_WAIT_MS;
	for (;;) {
		try {
			await engine.start();
			return;
		} catch (err) {
			if (Date.now() > deadline) {
				throw new Error(`search: the ${engine.kind} engine did not start: ${(err as Error).message}`);
			}
			log(`Waiting for the ${engine.kind} engine: ${(err as Error).message}`);
			await new Promise((resolve) => setTimeout(resolve, 2_000));
		}
	}
}

/**
 * Product search over an index that follows the catalog: OpenSearch (or Elasticsearch) when SEARCH_URL
 * is set, else an in-process index rebuilt from the catalog at start. Reads are public; index writes,
 * reindex and relevance are an operator's. See API_DOCS.md.
 */
export default function searchService(config: AppConfig): ServiceSchema {
	// A shared engine is written once per event by any search node; an in-process index lives in one
	// node's memory, so each node needs every event: one consumer group per node.
	const group = config.search.url ? "search" : `search-${config.nodeId}`;
	return defineService<SearchVars, SearchMethods>({
		name: "search",
		// DbMixin last: Moleculer runs the last mixin's `started` first, and the others need its connection.
		mixins: [
			DedupMixin(),
			MetricsMixin([...searchMetrics, ...dedupMetrics]),
			DbMixin({ database: "search", migrations: searchMigrations }),
		],

		channels: productIndexChannels(group),

		actions: {
			/** `{items, page, size, total, facets}`: the products list's shape, each item with its `score`. */
			products: {
				params: searchProductsParams,
				async handler(this: SearchThis, ctx: Context<SearchQuery>) {
					const query = ctx.params;
					const found = await this.engineCall("search", () => this.engine.search(query));
					return { items: found.items, page: query.page, size: query.size, total: found.total, facets: found.facets };
				},
			},

			autocomplete: {
				params: autocompleteParams,
				async handler(this: SearchThis, ctx: Context<{ q: string; limit: number }>) {
					const suggestions = await this.engineCall("autocomplete", () =>
						this.engine.autocomplete(ctx.params.q, ctx.params.limit),
					);
					return { suggestions };
				},
			},

			/** An operator's direct write of one product (the events do this by themselves). */
			indexProduct: {
				params: indexProductParams,
				async handler(this: SearchThis, ctx: Context<SearchDocument>) {
					const [outcome] = await this.applyChanges([{ kind: "upsert", document: ctx.params }], "api");
					return { productId: ctx.params.id, version: ctx.params.version, outcome };
				},
			},

			indexProducts: {
				params: indexProductsBulkParams,
				async handler(this: SearchThis, ctx: Context<{ products: SearchDocument[] }>) {
					const changes = ctx.params.products.map((document) => ({ kind: "upsert" as const, document }));
					const outcomes = await this.applyChanges(changes, "api");
					return {
						applied: outcomes.filter((o) => o === "applied").length,
						stale: outcomes.filter((o) => o === "stale").length,
					};
				},
			},

			/**
			 * Takes a product out of the index. Without `version`, the catalog's current one is used (a later
			 * change of the product brings it back); a product the catalog no longer has stays out for good.
			 */
			removeFromIndex: {
				params: removeFromIndexParams,
				async handler(this: SearchThis, ctx: Context<{ productId: string; version?: number }>) {
					const { productId } = ctx.params;
					const version = ctx.params.version ?? (await catalogVersionOf(ctx, productId));
					const [outcome] = await this.applyChanges([{ kind: "delete", id: productId, version }], "api");
					return { productId, version, outcome };
				},
			},

			/** Starts a rebuild from the catalog: 202 with the job; `GET /reindex/:jobId` follows it. */
			reindex: {
				async handler(this: SearchThis, ctx: Context) {
					const job = await this.startReindex();
					setReplyStatus(ctx, 202);
					return { ...job, statusUrl: `/api/search/reindex/${job.jobId}` };
				},
			},

			reindexStatus: {
				params: reindexJobParams,
				async handler(this: SearchThis, ctx: Context<{ jobId: string }>) {
					const job = await this.jobs.find(ctx.params.jobId);
					if (!job) throw new ReindexJobNotFoundError(ctx.params.jobId);
					return job;
				},
			},

			/** For the REPL and health: the engine, its size, the running rebuild. */
			status: {
				visibility: "public",
				async handler(this: SearchThis) {
					const documents = await this.engineCall("search", () => this.engine.count());
					return { engine: this.engine.kind, documents, reindex: (await this.jobs.running()) ?? null };
				},
			},

			...relevanceActions(config),
		},

		methods: {
			async indexFromEvent(envelope, change) {
				await this.consumeOnce(envelope, "search", async () => {
					await this.applyChanges([change], "event");
				});
			},

			async applyChanges(changes, source) {
				const outcomes = await this.engineCall("index", () => this.engine.apply(changes));
				for (const outcome of outcomes) this.countMetric(SEARCH_METRIC.indexChanges, { source, outcome });
				return outcomes;
			},

			async engineCall(operation, call) {
				try {
					return await call();
				} catch (err) {
					this.countMetric(SEARCH_METRIC.engineErrors, { operation });
					this.logger.warn(`Search engine ${operation} failed: ${(err as Error).message}`);
					throw new SearchUnavailableError();
				}
			},

			startReindex() {
				// One start at a time on this node: two starts at once (the in-process index's first build and
				// an operator's, or two operators) both found no running job, both began a rebuild, and the
				// later one superseded the earlier, which ended FAILED. Now the later one finds the earlier's job.
				// A start asked while an earlier one is still being started is answered with the job that one
				// began (409), even if that job has ended by its turn: a small in-process rebuild can end within
				// milliseconds, and two operators asking at once must see one rebuild, not two in a row.
				// Across nodes sharing an engine, the job's run slot decides (claimReindex).
				const askedDuringAStart = this.reindexStartsPending > 0;
				this.reindexStartsPending++;
				const start = this.reindexStart
					.then((earlierJob) => {
						if (askedDuringAStart && earlierJob) throw new ReindexRunningError(earlierJob.jobId);
						return this.claimReindex();
					})
					.finally(() => {
						this.reindexStartsPending--;
					});
				this.reindexStart = start.catch(() => undefined);
				return start;
			},

			async claimReindex() {
				// A shared engine's index is every search node's: one rebuild of it at a time, whichever node
				// asks. An in-process index is this node's own: only this node's rebuild can be in its way.
				const slot = this.engine.kind === "embedded" ? `node:${this.broker.nodeID}` : `index:${config.search.index}`;
				// Refused at once while a job holds the slot, before asking products for the catalog's size: the
				// claim below is what makes it atomic, this keeps a refusal from waiting on (and racing) that call.
				const holder = await this.jobs.holderOf(slot);
				if (holder?.status === "RUNNING") throw new ReindexRunningError(holder.jobId);
				const jobId = randomUUID();
				const total = await catalogSize(this);
				await claimSlot(this.jobs, slot, { jobId, nodeId: this.broker.nodeID, total });
				this.rebuiltSinceStart = true;
				this.reindexing = runReindex(jobId, total, {
					engine: this.engine,
					jobs: this.jobs,
					pageSize: config.search.reindexPageSize,
					readPage: (afterId, limit) =>
						this.broker.call<CatalogPage, { afterId?: string; limit: number }>("products.exportPage", {
							...(afterId === undefined ? {} : { afterId }),
							limit,
						}),
					log: (message) => this.logger.info(message),
					added: (count) => this.countMetric(SEARCH_METRIC.reindexed, undefined, count),
				})
					.catch(() => undefined)
					.finally(() => {
						this.reindexing = null;
					});
				return (await this.jobs.find(jobId)) as ReindexJob;
			},
		},

		async started(this: SearchThis) {
			this.jobs = new ReindexJobsRepository(this.sequelize);
			this.reindexing = null;
			this.reindexStart = Promise.resolve(undefined);
			this.reindexStartsPending = 0;
			this.rebuiltSinceStart = false;
			this.engine = createSearchEngine(config);
			await startEngine(this.engine, (msg) => this.logger.info(msg));
			if (this.engine.kind === "embedded") {
				// The in-process index starts empty: fill it from the catalog once products answers. In the
				// background, so this node's start (and the products service in it) is not held up. An operator's
				// reindex asked before products answered has built it already: a second rebuild would only run
				// into (and 409) whatever the operator asks next.
				this.broker
					.waitForServices(["products"], ENGINE_START_WAIT_MS, PRODUCTS_POLL_MS)
					.then(() => (this.rebuiltSinceStart ? undefined : this.startReindex()))
					.catch((err: Error) => {
						// An operator's reindex began meanwhile: it is the first build.
						if (err instanceof ReindexRunningError) this.logger.info(`Initial index build: ${err.message}`);
						else this.logger.warn(`Initial index build: ${err.message}`);
					});
			}
			// Tombstones past the retention only fence events the dedup table has forgotten too (see search-engine.ts).
			const purge = () => {
				this.engine
					.purgeTombstones(Date.now() - config.search.tombstoneRetentionMs)
					.then((purged) => purged > 0 && this.logger.info(`Purged ${purged} search index tombstone(s)`))
					.catch((err: Error) => this.logger.warn(`Tombstone purge: ${err.message}`));
			};
			this.purgeTimer = setTimeout(() => {
				purge();
				this.purgeTimer = setInterval(purge, TOMBSTONE_PURGE_EVERY_MS).unref();
			}, TOMBSTONE_PURGE_FIRST_MS).unref();
		},

		async stopped(this: SearchThis) {
			if (this.purgeTimer) clearTimeout(this.purgeTimer);
			await this.reindexing;
			await this.engine?.stop();
		},
	});
}

/** The catalog's product count, inactive ones included (what a reindex reads). */
async function catalogSize(service: Service): Promise<number> {
	const page = await service.broker.call<{ total: number }, object>("products.list", { size: 1, activeOnly: false });
	return page.total;
}

/**
 * Takes the run slot for a new job, or throws REINDEX_RUNNING naming the job holding it. The holder may
 * end between the refused INSERT and its look-up (nothing holds the slot then): the claim is tried once more.
 */
async function claimSlot(
	jobs: ReindexJobsRepository,
	slot: string,
	job: { jobId: string; nodeId: string; total: number },
): Promise<void> {
	for (let attempt = 1; attempt <= 2; attempt++) {
		const claim = await jobs.claim(slot, job);
		if (claim.claimed) return;
		if (claim.holder) throw new ReindexRunningError(claim.holder.jobId);
	}
	throw new Error(`reindex slot ${slot} was refused twice with no job holding it`);
}

/** The product's version in the catalog, or the largest safe integer when it is gone (stays out of the index). */
async function catalogVersionOf(ctx: Context, productId: string): Promise<number> {
	const [product] = await ctx.call<Array<{ version: number }>, { ids: string[] }>("products.getMany", {
		ids: [productId],
	});
	return product?.version ?? Number.MAX_SAFE_INTEGER;
}
