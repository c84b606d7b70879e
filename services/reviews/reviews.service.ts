import { randomUUID } from "node:crypto";
import type { Context, Service, ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { callerOf, isAdmin, requireCallerOf } from "../../lib/auth/caller";
import { defineService } from "../../lib/define-schema";
import { newEvent } from "../../lib/events/event-envelope";
import { REVIEW_TOPIC, type ReviewModeratedPayload } from "../../lib/events/review-topics";
import { correlationIdOf } from "../../lib/observability/correlation-id";
import { replyCreated, setReplyStatus } from "../../lib/reply-status";
import { DbMixin } from "../../mixins/db.mixin";
import { type MetricsMethods, MetricsMixin } from "../../mixins/metrics.mixin";
import { type OutboxMethods, OutboxMixin, outboxMetrics } from "../../mixins/outbox.mixin";
import { reviewsMigrations } from "./migrations";
import { type PublicReviewView, publicReviewView, type ReviewView, reviewView } from "./review-view";
import { ReviewExistsError, ReviewNotFoundError, ReviewUnchangedError } from "./reviews.errors";
import { REVIEW_METRIC, reviewsMetrics } from "./reviews.metrics";
import {
	createReviewParams,
	listReviewsParams,
	mineParams,
	moderateParams,
	moderationQueueParams,
	reviewRefParams,
	summaryParams,
	updateReviewParams,
} from "./reviews.params";
import { type RatingSummary, type Review, type ReviewStatus, ReviewsRepository } from "./reviews.repository";

interface ReviewsVars {
	sequelize: Sequelize;
	repository: ReviewsRepository;
}

interface ReviewsMethods extends MetricsMethods, OutboxMethods {
	/** Whether the user bought the product; false (and a warning) when orders cannot say. */
	purchased(ctx: Context, userId: string, productId: string): Promise<boolean>;
	/** The product's name for the author's mail; null (and a warning) when the catalog cannot say. */
	productNameOf(ctx: Context, productId: string): Promise<string | null>;
}

type ReviewsThis = Service & ReviewsVars & ReviewsMethods;

interface Page {
	limit: number;
	offset: number;
}

/**
 * Reviews of products by shoppers: one per shopper and product, shown once an operator approved it;
 * each product's rating summary (count, average, stars) counts its approved reviews. See API_DOCS.md.
 */
export default function reviewsService(_config: AppConfig): ServiceSchema {
	return defineService<ReviewsVars, ReviewsMethods>({
		name: "reviews",
		// DbMixin last: Moleculer runs the last mixin's `started` first, and the outbox needs its connection.
		mixins: [
			OutboxMixin(),
			MetricsMixin([...reviewsMetrics, ...outboxMetrics]),
			DbMixin({ database: "reviews", migrations: reviewsMigrations }),
		],

		actions: {
			/** Public: a product's approved reviews, newest first, with its rating summary. */
			list: {
				params: listReviewsParams,
				async handler(
					this: ReviewsThis,
					ctx: Context<{ productId: string } & Page>,
				): Promise<{ summary: RatingSummary; reviews: PublicReviewView[] }> {
					const { productId, limit, offset } = ctx.params;
					const [summary, reviews] = await Promise.all([
						this.repository.summary(productId),
						this.repository.list({ productId, status: "APPROVED" }, { limit, offset }),
					]);
					return { summary, reviews: reviews.map(publicReviewView) };
				},
			},

			/** Public: a product's rating summary (for product pages and listings). */
			summary: {
				params: summaryParams,
				handler(this: ReviewsThis, ctx: Context<{ productId: string }>): Promise<RatingSummary> {
					return this.repository.summary(ctx.params.productId);
				},
			},

			/** The caller reviews a product (one review per product); it waits for moderation. */
			create: {
				params: createReviewParams,
				async handler(
					this: ReviewsThis,
					ctx: Context<{ productId: string; rating: number; title: string; body: string }>,
				): Promise<ReviewView> {
					const caller = requireCallerOf(ctx);
					const { productId, rating, title, body } = ctx.params;
					// products.get answers 404 PRODUCT_NOT_FOUND for a product the catalog does not have.
					const [, verifiedPurchase] = await Promise.all([
						ctx.call("products.get", { id: productId }),
						this.purchased(ctx, caller.sub, productId),
					]);
					const now = Date.now();
					const review: Review = {
						id: randomUUID(),
						productId,
						userId: caller.sub,
						rating,
						title,
						body,
						status: "PENDING",
						verifiedPurchase,
						moderationNote: null,
						moderatedBy: null,
						moderatedAt: null,
						createdAt: now,
						updatedAt: now,
					};
					if (!(await this.repository.insert(review))) {
						const [existing] = await this.repository.list({ productId, userId: caller.sub }, { limit: 1, offset: 0 });
						throw new ReviewExistsError(productId, existing?.id ?? "");
					}
					this.countMetric(REVIEW_METRIC.submitted, { kind: "new" });
					replyCreated(ctx, `/api/reviews/${review.id}`);
					return reviewView(review);
				},
			},

			/** The caller's review, with its moderation; an operator's: any. */
			get: {
				params: reviewRefParams,
				async handler(this: ReviewsThis, ctx: Context<{ id: string }>): Promise<ReviewView> {
					const caller = requireCallerOf(ctx);
					const review = await this.repository.find(ctx.params.id);
					if (!review || (review.userId !== caller.sub && !isAdmin(caller)))
						throw new ReviewNotFoundError(ctx.params.id);
					return reviewView(review);
				},
			},

			/** The caller changes their review: it leaves the product's page until it is approved again. */
			update: {
				params: updateReviewParams,
				async handler(
					this: ReviewsThis,
					ctx: Context<{ id: string; rating?: number; title?: string; body?: string }>,
				): Promise<ReviewView> {
					const caller = requireCallerOf(ctx);
					const { id, rating, title, body } = ctx.params;
					if (rating === undefined && title === undefined && body === undefined) throw new ReviewUnchangedError();
					const mine = await this.repository.find(id);
					if (!mine || mine.userId !== caller.sub) throw new ReviewNotFoundError(id);
					// Bought since it was written: the changed review carries the badge.
					const verifiedPurchase = await this.purchased(ctx, caller.sub, mine.productId);
					const changed = await this.repository.withLockedReview(id, (review) => {
						if (review.userId !== caller.sub) return null;
						return {
							...review,
							rating: rating ?? review.rating,
							title: title ?? review.title,
							body: body ?? review.body,
							status: "PENDING" as const,
							verifiedPurchase,
							moderationNote: null,
							moderatedBy: null,
							moderatedAt: null,
							updatedAt: Date.now(),
						};
					});
					if (!changed?.after) throw new ReviewNotFoundError(id);
					this.countMetric(REVIEW_METRIC.submitted, { kind: "changed" });
					return reviewView(changed.after);
				},
			},

			/** The caller's own review, or any as an operator (abuse that moderation let through). */
			remove: {
				params: reviewRefParams,
				async handler(this: ReviewsThis, ctx: Context<{ id: string }>): Promise<null> {
					const caller = requireCallerOf(ctx);
					const removed = await this.repository.withLockedReview(ctx.params.id, (review) =>
						review.userId === caller.sub || isAdmin(caller) ? "delete" : null,
					);
					if (!removed?.after) throw new ReviewNotFoundError(ctx.params.id);
					if (removed.before.userId !== caller.sub) {
						this.logger.info(`Review ${removed.before.id} removed by operator ${caller.sub}`);
					}
					setReplyStatus(ctx, 204);
					return null;
				},
			},

			/** The caller's reviews, newest first, whatever their moderation. */
			mine: {
				params: mineParams,
				async handler(this: ReviewsThis, ctx: Context<Page>): Promise<ReviewView[]> {
					const caller = requireCallerOf(ctx);
					const reviews = await this.repository.list({ userId: caller.sub }, ctx.params);
					return reviews.map(reviewView);
				},
			},

			/** Operators: reviews in a moderation status (default PENDING: the queue), newest first. */
			moderationQueue: {
				params: moderationQueueParams,
				async handler(this: ReviewsThis, ctx: Context<{ status: ReviewStatus } & Page>): Promise<ReviewView[]> {
					const { status, limit, offset } = ctx.params;
					return (await this.repository.list({ status }, { limit, offset })).map(reviewView);
				},
			},

			/** Operators: approve (shown, counted in the summary) or reject (hidden; the note tells its author why). */
			moderate: {
				params: moderateParams,
				async handler(
					this: ReviewsThis,
					ctx: Context<{ id: string; decision: "APPROVE" | "REJECT"; note?: string }>,
				): Promise<ReviewView> {
					const { id, decision, note } = ctx.params;
					const by = callerOf(ctx)?.sub ?? "operator";
					const status: ReviewStatus = decision === "APPROVE" ? "APPROVED" : "REJECTED";
					const written = await this.repository.find(id);
					if (!written) throw new ReviewNotFoundError(id);
					const [boughtSince, productName] = await Promise.all([
						// A shopper often reviews before their order is confirmed (or while orders could not be asked):
						// an approval asks again, so the badge a shown review carries is checked when it is shown.
						status === "APPROVED" && !written.verifiedPurchase
							? this.purchased(ctx, written.userId, written.productId)
							: false,
						// Only a decision that changes the status is told to the author, and only its mail names the product.
						written.status === status ? null : this.productNameOf(ctx, written.productId),
					]);
					const moderated = await this.repository.withLockedReview(
						id,
						(review) => {
							const now = Date.now();
							return {
								...review,
								status,
								verifiedPurchase: review.verifiedPurchase || boughtSince,
								moderationNote: note ?? null,
								moderatedBy: by,
								moderatedAt: now,
								updatedAt: now,
							};
						},
						// The author hears of a decision that changed their review's status (notifications), once.
						async (transaction, before, after) => {
							if (before.status === after.status) return;
							const payload: ReviewModeratedPayload = {
								reviewId: id,
								productId: after.productId,
								productName,
								userId: after.userId,
								status,
								rating: after.rating,
								note: after.moderationNote,
							};
							await this.writeEvents(transaction, [
								newEvent(REVIEW_TOPIC.moderated, id, payload, correlationIdOf(ctx)),
							]);
						},
					);
					if (!moderated?.after) throw new ReviewNotFoundError(id);
					this.countMetric(REVIEW_METRIC.moderated, { decision });
					return reviewView(moderated.after as Review);
				},
			},
		},

		methods: {
			async productNameOf(ctx, productId) {
				try {
					return (await ctx.call<{ name: string }, { id: string }>("products.get", { id: productId })).name;
				} catch (err) {
					this.logger.warn(`Review moderation: the name of product ${productId} not found (${(err as Error).message})`);
					return null;
				}
			},

			async purchased(ctx, userId, productId) {
				try {
					const answer = await ctx.call<{ purchased: boolean }, object>("orders.purchasedBy", { userId, productId });
					return answer.purchased === true;
				} catch (err) {
					this.logger.warn(`Review of ${productId} by ${userId}: purchase not checked (${(err as Error).message})`);
					return false;
				}
			},
		},

		async started(this: ReviewsThis) {
			this.repository = new ReviewsRepository(this.sequelize);
		},
	});
}
