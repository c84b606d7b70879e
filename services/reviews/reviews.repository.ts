import { QueryTypes, type Sequelize, type Transaction } from "sequelize";
import { affectedRows, isUniqueViolation, rowLockClause } from "../../lib/db/query-results";

export type ReviewStatus = "PENDING" | "APPROVED" | "REJECTED";

export interface Review {
	id: string;
	productId: string;
	userId: string;
	rating: number;
	title: string;
	body: string;
	status: ReviewStatus;
	/** The author had bought the product when writing (or last changing) it. */
	verifiedPurchase: boolean;
	moderationNote: string | null;
	moderatedBy: string | null;
	moderatedAt: number | null;
	createdAt: number;
	updatedAt: number;
}

export interface RatingSummary {
	productId: string;
	reviewCount: number;
	averageRating: number | null;
	/** How many APPROVED reviews gave 1..5 stars. */
	stars: Record<"1" | "2" | "3" | "4" | "5", number>;
}

interface ReviewRow {
	id: string;
	product_id: string;
	user_id: string;
	rating: number | string;
	title: string;
	body: string;
	status: ReviewStatus;
	verified_purchase: boolean | number | string;
	moderation_note: string | null;
	moderated_by: string | null;
	moderated_at: number | string | null;
	created_at: number | string;
	updated_at: number | string;
}

interface SummaryRow {
	product_id: string;
	review_count: number | string;
	rating_sum: number | string;
	stars_1: number | string;
	stars_2: number | string;
	stars_3: number | string;
	stars_4: number | string;
	stars_5: number | string;
}

function toReview(row: ReviewRow): Review {
	return {
		id: row.id,
		productId: row.product_id,
		userId: row.user_id,
		rating: Number(row.rating),
		title: row.title,
		body: row.body,
		status: row.status,
		verifiedPurchase: row.verified_purchase === true || Number(row.verified_purchase) === 1,
		moderationNote: row.moderation_note,
		moderatedBy: row.moderated_by,
		moderatedAt: row.moderated_at === null ? null : Number(row.moderated_at),
		createdAt: Number(row.created_at),
		updatedAt: Number(row.updated_at),
	};
}

export function emptySummary(productId: string): RatingSummary {
	return { productId, reviewCount: 0, averageRating: null, stars: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 } };
}

function toSummary(row: SummaryRow): RatingSummary {
	const count = Number(row.review_count);
	return {
		productId: row.product_id,
		reviewCount: count,
		// Two decimals: 4.33, not 4.333333333333333.
		averageRating: count === 0 ? null : Math.round((Number(row.rating_sum) / count) * 100) / 100,
		stars: {
			1: Number(row.stars_1),
			2: Number(row.stars_2),
			3: Number(row.stars_3),
			4: Number(row.stars_4),
			5: Number(row.stars_5),
		},
	};
}

const starColumn = (rating: number) => `stars_${Math.min(5, Math.max(1, Math.trunc(rating)))}`;

/**
 * The `reviews` and `rating_summaries` tables. A review changes only inside `withLockedReview`, which
 * holds its row until the transaction ends, and moves the product's summary by the same transaction: the
 * summary is always the sum of the APPROVED reviews.
 */
export class ReviewsRepository {
	private readonly lock: string;

	constructor(private readonly db: Sequelize) {
		this.lock = rowLockClause(db);
	}

	/** False when the shopper already reviewed the product (the unique key). */
	async insert(review: Review): Promise<boolean> {
		// First the product's summary row: every reviewed product has one before any of its reviews can move it.
		await this.ensureSummaryRow(review.productId);
		try {
			await this.db.query(
				`INSERT INTO reviews (id, product_id, user_id, rating, title, body, status, verified_purchase, moderation_note, moderated_by, moderated_at, created_at, updated_at)
				 VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?)`,
				{
					replacements: [
						review.id,
						review.productId,
						review.userId,
						review.rating,
						review.title,
						review.body,
						review.status,
						review.verifiedPurchase,
						review.createdAt,
						review.updatedAt,
					],
					type: QueryTypes.INSERT,
				},
			);
			return true;
		} catch (err) {
			if (isUniqueViolation(err)) return false;
			throw err;
		}
	}

	async find(id: string): Promise<Review | null> {
		const rows = await this.db.query<ReviewRow>("SELECT * FROM reviews WHERE id = ?", {
			replacements: [id],
			type: QueryTypes.SELECT,
		});
		return rows[0] ? toReview(rows[0]) : null;
	}

	/** Newest first. */
	async list(
		filter: { productId?: string; userId?: string; status?: ReviewStatus },
		page: { limit: number; offset: number },
	): Promise<Review[]> {
		const where: string[] = [];
		const replacements: unknown[] = [];
		for (const [column, value] of [
			["product_id", filter.productId],
			["user_id", filter.userId],
			["status", filter.status],
		] as const) {
			if (value === undefined) continue;
			where.push(`${column} = ?`);
			replacements.push(value);
		}
		const rows = await this.db.query<ReviewRow>(
			`SELECT * FROM reviews${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id LIMIT ? OFFSET ?`,
			{ replacements: [...replacements, page.limit, page.offset], type: QueryTypes.SELECT },
		);
		return rows.map(toReview);
	}

	async summary(productId: string): Promise<RatingSummary> {
		const rows = await this.db.query<SummaryRow>("SELECT * FROM rating_summaries WHERE product_id = ?", {
			replacements: [productId],
			type: QueryTypes.SELECT,
		});
		return rows[0] ? toSummary(rows[0]) : emptySummary(productId);
	}

	/**
	 * Runs `change` on the review with its row locked; `change` returns the review as it is to be stored
	 * (or `"delete"`, or null to leave it). The product's summary follows the APPROVED rating that left or
	 * came. Returns what `change` returned, or undefined for an unknown review.
	 */
	async withLockedReview<T extends Review | "delete" | null>(
		id: string,
		change: (review: Review) => T,
		/** Runs in the change's transaction once it is written (the outbox's events of the change). */
		alsoInTransaction?: (transaction: Transaction, before: Review, after: Exclude<T, null>) => Promise<void>,
	): Promise<{ before: Review; after: T } | undefined> {
		return this.db.transaction(async (transaction) => {
			const rows = await this.db.query<ReviewRow>(`SELECT * FROM reviews WHERE id = ?${this.lock}`, {
				replacements: [id],
				type: QueryTypes.SELECT,
				transaction,
			});
			if (!rows[0]) return undefined;
			const before = toReview(rows[0]);
			const after = change(before);
			if (after === null) return { before, after };
			if (after === "delete") {
				await this.db.query("DELETE FROM reviews WHERE id = ?", { replacements: [id], transaction });
			} else {
				await this.db.query(
					`UPDATE reviews SET rating = ?, title = ?, body = ?, status = ?, verified_purchase = ?, moderation_note = ?, moderated_by = ?,
					   moderated_at = ?, updated_at = ?
					 WHERE id = ?`,
					{
						replacements: [
							after.rating,
							after.title,
							after.body,
							after.status,
							after.verifiedPurchase,
							after.moderationNote,
							after.moderatedBy,
							after.moderatedAt,
							after.updatedAt,
							id,
						],
						transaction,
					},
				);
			}
			const now = Date.now();
			if (before.status === "APPROVED") await this.addToSummary(transaction, before.productId, before.rating, -1, now);
			if (after !== "delete" && after.status === "APPROVED") {
				await this.addToSummary(transaction, after.productId, after.rating, 1, now);
			}
			await alsoInTransaction?.(transaction, before, after as Exclude<T, null>);
			return { before, after };
		});
	}

	/**
	 * The product's summary row (all zeros), made when a review of it is written, outside any transaction
	 * that changes it: a transaction that found no row and inserted one would hold a gap lock, and two first
	 * approvals of one product deadlocked on it (seen on MariaDB). With the row there, a change only updates it.
	 */
	private async ensureSummaryRow(productId: string): Promise<void> {
		const insert = this.db.getDialect() === "sqlite" ? "INSERT OR IGNORE" : "INSERT IGNORE";
		await this.db.query(
			`${insert} INTO rating_summaries (product_id, review_count, rating_sum, stars_1, stars_2, stars_3, stars_4, stars_5, updated_at)
			 VALUES (?, 0, 0, 0, 0, 0, 0, 0, ?)`,
			{ replacements: [productId, Date.now()], type: QueryTypes.INSERT },
		);
	}

	/** One APPROVED rating more (`sign` 1) or less (-1): increments, so concurrent changes of other reviews add up. */
	private async addToSummary(
		transaction: Transaction,
		productId: string,
		rating: number,
		sign: 1 | -1,
		now: number,
	): Promise<void> {
		const star = starColumn(rating);
		const updated = await this.db.query(
			`UPDATE rating_summaries SET review_count = review_count + ?, rating_sum = rating_sum + ?, ${star} = ${star} + ?, updated_at = ?
			 WHERE product_id = ?`,
			{ replacements: [sign, sign * rating, sign, now, productId], type: QueryTypes.UPDATE, transaction },
		);
		if (affectedRows(updated) !== 1) throw new Error(`rating summary of ${productId} is missing`);
	}
}
