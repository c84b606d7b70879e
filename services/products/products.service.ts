import type { Context, Service, ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { defineService } from "../../lib/define-schema";
import { newEvent } from "../../lib/events/event-envelope";
import {
	PRODUCT_TOPIC,
	type ProductDeletedPayload,
	type ProductUpsertedPayload,
} from "../../lib/events/product-topics";
import { correlationIdOf } from "../../lib/observability/correlation-id";
import { replyCreated, setReplyStatus } from "../../lib/reply-status";
import { DbMixin } from "../../mixins/db.mixin";
import { type MetricsMethods, MetricsMixin } from "../../mixins/metrics.mixin";
import { type OutboxMethods, OutboxMixin, outboxMetrics } from "../../mixins/outbox.mixin";
import {
	CATALOG_CACHE_KEYS,
	CATALOG_CHANGED_EVENT,
	cachedRead,
	cachedSearchPage,
	forgetCatalog,
	keepSearchPage,
	onCatalogChanged,
	sharedSearch,
} from "./catalog-cache";
import { productsMigrations } from "./migrations";
import { ProductNotFoundError } from "./products.errors";
import { PRODUCTS_METRIC, productsMetrics } from "./products.metrics";
import {
	createProductParams,
	exportPageParams,
	getManyBySkuParams,
	getManyParams,
	listProductsParams,
	type ProductSort,
	productRefParams,
	replaceProductParams,
} from "./products.params";
import { type Product, type ProductFields, type ProductQuery, ProductsRepository } from "./products.repository";
import { markFallback, searchFirst } from "./search-first";
import { writeWithEvent } from "./write-with-event";

interface ProductsVars {
	sequelize: Sequelize;
	repository: ProductsRepository;
}

type ProductsThis = Service & ProductsVars & OutboxMethods & MetricsMethods;

function upserted(product: Product): ProductUpsertedPayload {
	const { createdAt: _created, updatedAt: _updated, ...payload } = product;
	return payload;
}

/** A query that counts every product, active or not. */
const EVERYTHING: ProductQuery = { page: 1, size: 1, sort: "newest", activeOnly: false };

/**
 * The catalog. Reads are public; writes (an operator's) change the product and write its event
 * (`product.upserted.v1` / `product.deleted.v1`) to the outbox in the same transaction, so search and
 * other consumers never miss a change and never see one that did not commit.
 */
/** The catalog an empty embedded shop starts with (SEED_DEMO_DATA): the SKUs the inventory seeds stock for. */
const DEMO_PRODUCTS: ReadonlyArray<ProductFields & { sku: string }> = [
	{
		sku: "DEMO-TSHIRT",
		name: "Demo T-shirt",
		description: "Organic cotton, unisex.",
		category: "apparel",
		priceCents: 1999,
		currency: "EUR",
		active: true,
	},
	{
		sku: "DEMO-MUG",
		name: "Demo mug",
		description: "Enamel, 350 ml.",
		category: "kitchen",
		priceCents: 1299,
		currency: "EUR",
		active: true,
	},
	{
		sku: "DEMO-POSTER",
		name: "Demo poster",
		description: "A2, matte paper.",
		category: "decor",
		priceCents: 2499,
		currency: "EUR",
		active: true,
	},
];

export default function productsService(config: AppConfig): ServiceSchema {
	return defineService<ProductsVars, OutboxMethods & MetricsMethods>({
		name: "products",
		// DbMixin last: Moleculer runs the last mixin's `started` first, and the outbox needs its connection.
		mixins: [
			OutboxMixin(),
			MetricsMixin([...outboxMetrics, ...productsMetrics]),
			DbMixin({ database: "products", migrations: productsMigrations }),
		],

		actions: {
			create: {
				params: createProductParams,
				async handler(this: ProductsThis, ctx: Context<ProductFields & { sku: string }>) {
					const { sku, ...fields } = ctx.params;
					const product = await writeWithEvent(
						this,
						(tx) => this.repository.create(sku, fields, tx),
						(created) => newEvent(PRODUCT_TOPIC.upserted, created.id, upserted(created), correlationIdOf(ctx)),
					);
					await forgetCatalog(this);
					replyCreated(ctx, `/api/products/${product.id}`);
					return product;
				},
			},

			replace: {
				params: replaceProductParams,
				async handler(this: ProductsThis, ctx: Context<ProductFields & { id: string }>) {
					const { id, ...fields } = ctx.params;
					const product = await writeWithEvent(
						this,
						async (tx) => {
							const replaced = await this.repository.replace(id, fields, tx);
							if (!replaced) throw new ProductNotFoundError(id);
							return replaced;
						},
						(replaced) => newEvent(PRODUCT_TOPIC.upserted, id, upserted(replaced), correlationIdOf(ctx)),
					);
					await forgetCatalog(this);
					return product;
				},
			},

			remove: {
				params: productRefParams,
				async handler(this: ProductsThis, ctx: Context<{ id: string }>) {
					await writeWithEvent(
						this,
						async (tx) => {
							const removed = await this.repository.remove(ctx.params.id, tx);
							if (!removed) throw new ProductNotFoundError(ctx.params.id);
							return removed;
						},
						(product) => {
							const payload: ProductDeletedPayload = { id: product.id, sku: product.sku, version: product.version + 1 };
							return newEvent(PRODUCT_TOPIC.deleted, product.id, payload, correlationIdOf(ctx));
						},
					);
					await forgetCatalog(this);
					setReplyStatus(ctx, 204);
					return null;
				},
			},

			get: {
				params: productRefParams,
				cache: cachedRead(CATALOG_CACHE_KEYS.get),
				async handler(this: ProductsThis, ctx: Context<{ id: string }>) {
					const product = await this.repository.find(ctx.params.id);
					if (!product) throw new ProductNotFoundError(ctx.params.id);
					return product;
				},
			},

			/** For other services: the products with these ids that exist, in no particular order. */
			getMany: {
				visibility: "public",
				params: getManyParams,
				cache: cachedRead(CATALOG_CACHE_KEYS.getMany),
				handler(this: ProductsThis, ctx: Context<{ ids: string[] }>): Promise<Product[]> {
					return this.repository.findMany([...new Set(ctx.params.ids)]);
				},
			},

			/** For other services (orders prices its lines by SKU): the products with these SKUs that exist. */
			getManyBySku: {
				visibility: "public",
				params: getManyBySkuParams,
				cache: cachedRead(CATALOG_CACHE_KEYS.getManyBySku),
				handler(this: ProductsThis, ctx: Context<{ skus: string[] }>): Promise<Product[]> {
					return this.repository.findManyBySku([...new Set(ctx.params.skus)]);
				},
			},

			/**
			 * For search's reindex: `{items, nextAfterId}`, up to `limit` products (inactive ones too) after
			 * `afterId` in id order; `nextAfterId` is null after the last page. Never cached: a reindex reads
			 * the catalog as it is.
			 */
			exportPage: {
				visibility: "public",
				params: exportPageParams,
				async handler(this: ProductsThis, ctx: Context<{ afterId?: string; limit: number }>) {
					const items = await this.repository.scan(ctx.params.afterId, ctx.params.limit);
					const last = items.length === ctx.params.limit ? items[items.length - 1] : undefined;
					return { items, nextAfterId: last?.id ?? null };
				},
			},

			/** `{items, page, size, total}`: newest first unless `sort` says otherwise; active products only by default. */
			list: {
				params: listProductsParams,
				// A text search is not cached: search's index follows the catalog's events, not its writes.
				cache: { ...cachedRead(CATALOG_CACHE_KEYS.list), enabled: (ctx: Context<ProductQuery>) => !ctx.params.q },
				async handler(this: ProductsThis, ctx: Context<Omit<ProductQuery, "sort"> & { sort?: ProductSort }>) {
					const { page, size, q } = ctx.params;
					const sort = ctx.params.sort ?? (q ? "relevance" : "newest");
					if (q && sort === "relevance") {
						const kept = await cachedSearchPage<{ items: Product[] }>(this, ctx.params);
						if (kept) return kept;
						// Concurrent misses of this page share one search, which keeps the page for the next ones.
						const found = await sharedSearch(this, ctx.params, async () => {
							const ranked = await searchFirst(ctx, { ...ctx.params, q, sort }, (ids) => this.repository.findMany(ids));
							if (!("items" in ranked)) return ranked;
							const answer = { items: ranked.items, page, size, total: ranked.total };
							await keepSearchPage(this, ctx.params, answer, config);
							return { answer };
						});
						if ("answer" in found) return found.answer;
						markFallback(ctx, found.reason);
						this.countMetric(PRODUCTS_METRIC.searchFallbacks, { reason: found.reason });
						if (found.error) this.logger.debug(`Search did not answer, SQL did: ${found.error.message}`);
					}
					const { items, total } = await this.repository.list({ ...ctx.params, sort });
					return { items, page, size, total };
				},
			},
		},

		events: {
			[CATALOG_CHANGED_EVENT](this: ProductsThis, ctx: Context) {
				return onCatalogChanged(this, ctx);
			},
		},

		async started(this: ProductsThis) {
			this.repository = new ProductsRepository(this.sequelize);
			if (config.embedded && config.seedDemoData && (await this.repository.list(EVERYTHING)).total === 0) {
				for (const { sku, ...fields } of DEMO_PRODUCTS) {
					await writeWithEvent(
						this,
						(tx) => this.repository.create(sku, fields, tx),
						(product) => newEvent(PRODUCT_TOPIC.upserted, product.id, upserted(product), "seed"),
					);
				}
				this.logger.info(`Seeded demo catalog: ${DEMO_PRODUCTS.map((p) => p.sku).join(", ")}`);
			}
		},
	});
}
