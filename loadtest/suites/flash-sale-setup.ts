import { type Shopper, signUpShoppers } from "../identities";
import type { SuiteContext } from "../suite";

export interface FlashSaleStock {
	sku: string;
	units: number;
	users: number;
	shoppers: Shopper[];
}

/**
 * A new SKU `<prefix>-<run>` with `--units` units for sale (default `defaultUnits`), and the shoppers who
 * will race for it (`--users`, default one per virtual user up to 200), made through the public API.
 */
export async function openFlashSale(
	context: SuiteContext,
	prefix: string,
	defaultUnits: number,
): Promise<FlashSaleStock> {
	const { api, operator, runId } = context;
	const units = context.extra.units === undefined ? defaultUnits : Number(context.extra.units);
	if (!(Number.isInteger(units) && units > 0)) throw new Error("--units must be a positive integer");
	const sku = `${prefix}-${runId}`;
	const users = context.users ?? Math.min(context.vus, 200);
	await api.expect([201], "POST", "/api/products", {
		token: operator,
		body: { sku, name: `Flash sale ${runId}`, category: "load-flash", priceCents: 1_999, currency: "EUR" },
	});
	await api.expect([200], "POST", "/api/inventory/stock", { token: operator, body: { sku, available: units } });
	context.log(`flash sale: ${units} units of ${sku} for sale; signing up ${users} shoppers`);
	return { sku, units, users, shoppers: await signUpShoppers(api, runId, users) };
}
