import type { Suite } from "../suite";
import { baseline } from "./baseline";
import { browse } from "./browse";
import { cart } from "./cart";
import { checkout } from "./checkout";
import { flashSale } from "./flash-sale";
import { flashSaleCheckout } from "./flash-sale-checkout";

export const SUITES: Record<string, Suite> = {
	"flash-sale": flashSale,
	"flash-sale-checkout": flashSaleCheckout,
	browse,
	cart,
	checkout,
	baseline,
};
