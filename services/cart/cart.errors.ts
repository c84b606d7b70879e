import { ClientError } from "../../lib/errors";

export class CartIdRequiredError extends ClientError {
	constructor() {
		super("Send an access token, or the guest cart's cartId", 400, "CART_ID_REQUIRED");
	}
}

/** Also for an inactive product: it cannot be bought. */
export class ProductNotAvailableError extends ClientError {
	constructor(productId: string) {
		super(`Product ${productId} cannot be added to a cart`, 404, "PRODUCT_NOT_AVAILABLE", { productId });
	}
}

export class CartLimitError extends ClientError {
	constructor(what: "lines" | "quantity", limit: number) {
		super(
			what === "lines" ? `A cart holds at most ${limit} products` : `A cart holds at most ${limit} of one product`,
			409,
			"CART_LIMIT",
			{ what, limit },
		);
	}
}
