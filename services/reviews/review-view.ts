import type { Review } from "./reviews.repository";

/** A review as everyone may see it (approved ones on the product's page). Times ISO-8601. */
export interface PublicReviewView
	extends Pick<Review, "id" | "productId" | "userId" | "rating" | "title" | "body" | "verifiedPurchase"> {
	createdAt: string;
	updatedAt: string;
}

/** A review as its author and operators see it: with its moderation. */
export interface ReviewView extends PublicReviewView, Pick<Review, "status" | "moderationNote"> {
	moderatedAt: string | null;
}

export function publicReviewView(review: Review): PublicReviewView {
	return {
		id: review.id,
		productId: review.productId,
		userId: review.userId,
		rating: review.rating,
		title: review.title,
		body: review.body,
		verifiedPurchase: review.verifiedPurchase,
		createdAt: new Date(review.createdAt).toISOString(),
		updatedAt: new Date(review.updatedAt).toISOString(),
	};
}

export function reviewView(review: Review): ReviewView {
	return {
		...publicReviewView(review),
		status: review.status,
		moderationNote: review.moderationNote,
		moderatedAt: review.moderatedAt === null ? null : new Date(review.moderatedAt).toISOString(),
	};
}
