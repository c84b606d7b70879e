import { Errors } from "moleculer";
import { ClientError } from "../../lib/errors";

/** Stable error types: clients and tests branch on these, never on messages. */
export const CART_ID_REQUIRED = "CART_ID_REQUIRED";
export const PRODUCT_NOT_AVAILABLE = "PRODUCT_NOT_AVAILABLE";
export const CART_LIMIT = "CART_LIMIT";
export const CATALOG_UNAVAILABLE = "CATALOG_UNAVAILABLE";

export class CartIdRequiredError extends ClientError {
	constructor() {
		super("Send an access token, or the guest cart's cartId", 400, CART_ID_REQUIRED);
	}
}

/** Also for an inactive product: it cannot be bought. */
export class ProductNotAvailableError extends ClientError {
	constructor(productId: string) {
		super(`Product ${productId} cannot be added to a cart`, 404, PRODUCT_NOT_AVAILABLE, { productId });
	}
}

export class CartLimitError extends ClientError {
	constructor(what: "lines" | "quantity", limit: number) {
		super(
			what === "lines" ? `A cart holds at most ${limit} products` : `A cart holds at most ${limit} of one product`,
			409,
			CART_LIMIT,
			{ what, limit },
		);
	}
}

/**
 * The products service could not be asked (no node, timeout): an add cannot check the product, so it is
 * refused with a 503 the client may retry (`Retry-After`). Reads answer the cart at the prices it was added
 * at instead (see API_DOCS, "When products is down").
 */
export class CatalogUnavailableError extends Errors.MoleculerRetryableError {
	constructor(retryAfterS = 1) {
		super("The catalog cannot be read now; retry shortly", 503, CATALOG_UNAVAILABLE, { retryAfterS });
	}
}
