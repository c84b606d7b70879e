/**
 * The catalog the browse, cart and checkout suites run on: products `LOAD-000`..`LOAD-199` in eight
 * categories, and `LOAD-CHK-0`..`LOAD-CHK-9` with ample stock for orders. Made through the operator's
 * API calls; a product already there (409 SKU_TAKEN) is kept, so runs can share a shop.
 */
import { inParallel, type ShopApi } from "./shop-api";

export const CATALOG_SIZE = 200;
export const CATEGORIES = ["a", "b", "c", "d", "e", "f", "g", "h"].map((letter) => `load-${letter}`);
const ADJECTIVES = ["red", "quiet", "sturdy", "bright", "compact", "vintage", "smart", "soft"];
const NOUNS = ["lamp", "chair", "kettle", "backpack", "speaker", "notebook", "jacket", "mug", "clock", "blanket"];
/** Words a browsing user searches for. */
export const SEARCH_WORDS = [...ADJECTIVES, ...NOUNS];
export const CHECKOUT_SKUS = Array.from({ length: 10 }, (_, i) => `LOAD-CHK-${i}`);
const CHECKOUT_STOCK = 1_000_000;
const SETUP_CONCURRENCY = 16;

export interface CatalogProduct {
	id: string;
	sku: string;
	category: string;
}

function catalogProduct(i: number) {
	const sku = `LOAD-${String(i).padStart(3, "0")}`;
	return {
		sku,
		name: `Load ${ADJECTIVES[i % ADJECTIVES.length]} ${NOUNS[i % NOUNS.length]} ${i}`,
		description: `A ${NOUNS[(i * 7) % NOUNS.length]} for load tests`,
		category: CATEGORIES[i % CATEGORIES.length] as string,
		priceCents: 500 + i * 37,
		currency: "EUR",
	};
}

async function createProduct(api: ShopApi, operator: string, product: Record<string, unknown>): Promise<void> {
	const answer = await api.call<{ error?: { code?: string } }>("POST", "/api/products", {
		token: operator,
		body: product,
	});
	if (answer.status === 201 || (answer.status === 409 && answer.body.error?.code === "SKU_TAKEN")) return;
	throw new Error(`POST /api/products ${String(product.sku)}: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** Makes sure the browse catalog exists; answers its products (id, sku, category). */
export async function ensureCatalog(api: ShopApi, operator: string): Promise<CatalogProduct[]> {
	const products = Array.from({ length: CATALOG_SIZE }, (_, i) => catalogProduct(i));
	await inParallel(products, SETUP_CONCURRENCY, (product) => createProduct(api, operator, product));
	const found: CatalogProduct[] = [];
	for (const category of CATEGORIES) {
		const page = await api.expect<{ items: CatalogProduct[] }>(
			[200],
			"GET",
			`/api/products?category=${category}&size=100`,
		);
		found.push(...page.body.items.filter((item) => item.sku.startsWith("LOAD-")));
	}
	if (found.length < CATALOG_SIZE) throw new Error(`the load catalog has ${found.length} of ${CATALOG_SIZE} products`);
	return found;
}

/** Makes sure the checkout products exist with ample stock. */
export async function ensureCheckoutStock(api: ShopApi, operator: string): Promise<void> {
	await inParallel(CHECKOUT_SKUS, SETUP_CONCURRENCY, async (sku) => {
		await createProduct(api, operator, {
			sku,
			name: `Load checkout item ${sku}`,
			category: "load-checkout",
			priceCents: 1_250,
			currency: "EUR",
		});
		await api.expect([200], "POST", "/api/inventory/stock", {
			token: operator,
			body: { sku, available: CHECKOUT_STOCK },
		});
	});
}
