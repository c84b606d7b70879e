import { ClientError } from "../../lib/errors";

export const REVIEW_NOT_FOUND = "REVIEW_NOT_FOUND";
export const REVIEW_EXISTS = "REVIEW_EXISTS";
export const REVIEW_UNCHANGED = "REVIEW_UNCHANGED";

/** Also for another shopper's review on the routes that change one: whether it exists is not theirs to learn. */
export class ReviewNotFoundError extends ClientError {
	constructor(id: string) {
		super(`Review ${id} not found`, 404, REVIEW_NOT_FOUND, { id });
	}
}

/** One review per shopper and product: change the one there is instead. */
export class ReviewExistsError extends ClientError {
	constructor(productId: string, reviewId: string) {
		super(`You already reviewed product ${productId}: change review ${reviewId} instead`, 409, REVIEW_EXISTS, {
			productId,
			reviewId,
		});
	}
}

/** An update naming no field to change. */
export class ReviewUnchangedError extends ClientError {
	constructor() {
		super("Give at least one of rating, title, body", 400, REVIEW_UNCHANGED);
	}
}
