import type { Context } from "moleculer";
import type { OrderLine, PricedOrderLine } from "../../lib/events/checkout-topics";
import type { Product } from "../products/products.repository";
import { CartEmptyError, MixedCurrenciesError, ProductNotAvailableError } from "./orders.errors";

/** A cart line as `cart.get` answers it (the fields an order needs). */
interface CartViewLine {
	productId: string;
	sku: string | null;
	quantity: number;
	available: boolean;
}

/**
 * The lines the caller asked for, priced by the catalog as it is now (never by the client). One line
 * per SKU: two lines of one SKU add up. A line of an unknown or inactive product is a 400 naming it.
 */
export async function priceLines(ctx: Context, requested: readonly OrderLine[]): Promise<PricedOrderLine[]> {
	const skus = [...new Set(requested.map((line) => line.sku))];
	const products = await ctx.call<Product[], { skus: string[] }>("products.getManyBySku", { skus });
	const bySku = new Map(products.map((p) => [p.sku, p]));
	const lines = new Map<string, PricedOrderLine>();
	requested.forEach((line, index) => {
		const product = bySku.get(line.sku);
		if (!product?.active) throw new ProductNotAvailableError(index, line.sku);
		const current = lines.get(line.sku);
		lines.set(line.sku, {
			sku: line.sku,
			productId: product.id,
			name: product.name,
			quantity: (current?.quantity ?? 0) + line.quantity,
			unitPriceCents: product.priceCents,
			currency: product.currency,
		});
	});
	const priced = [...lines.values()];
	const currencies = [...new Set(priced.map((line) => line.currency))];
	if (currencies.length > 1) throw new MixedCurrenciesError(currencies);
	return priced;
}

/** The caller's cart as order lines (the cart is read in the caller's name: `ctx.meta.user`). */
export async function cartLines(ctx: Context): Promise<OrderLine[]> {
	const cart = await ctx.call<{ items: CartViewLine[] }, object>("cart.get", {});
	if (cart.items.length === 0) throw new CartEmptyError();
	return cart.items.map((item, index) => {
		if (!item.available || !item.sku) throw new ProductNotAvailableError(index, item.sku ?? item.productId);
		return { sku: item.sku, quantity: item.quantity };
	});
}

/** What each currency's lines cost, in minor units. */
export function totalsOf(lines: readonly PricedOrderLine[]): Record<string, number> {
	const totals: Record<string, number> = {};
	for (const line of lines) totals[line.currency] = (totals[line.currency] ?? 0) + line.unitPriceCents * line.quantity;
	return totals;
}
