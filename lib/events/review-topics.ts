/** The reviews service's durable events (through its outbox), keyed by the review's id. */
export const REVIEW_TOPIC = {
	/** An operator approved or rejected a review (a decision that changed its status). */
	moderated: "review.moderated.v1",
} as const;

/** `review.moderated.v1` */
export interface ReviewModeratedPayload {
	reviewId: string;
	productId: string;
	/** The product's name when the decision was taken, or null when the catalog could not be asked. */
	productName: string | null;
	/** The review's author. */
	userId: string;
	status: "APPROVED" | "REJECTED";
	rating: number;
	/** The operator's note to the author, if any. */
	note: string | null;
}
