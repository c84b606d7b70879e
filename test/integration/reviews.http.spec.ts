import type { ServiceBroker } from "moleculer";
import { QueryTypes, type Sequelize } from "sequelize";
import { signAccessToken } from "../../lib/auth/access-token";
import authService from "../../services/auth/auth.service";
import gatewayService from "../../services/gateway/api.service";
import ordersService from "../../services/orders/orders.service";
import productsService from "../../services/products/products.service";
import reviewsService from "../../services/reviews/reviews.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { api, ERROR_SHAPE, gatewayBaseUrl, type JsonResponse } from "../support/http";
import { infra } from "../support/infra";

describe.each([
	["MariaDB", { DATABASE_URL: infra.databaseUrl }],
	["SQLite", {}],
])("reviews over HTTP on %s", (_label, env) => {
	let broker: ServiceBroker;
	let base: string;
	let admin: string;
	let auth: ReturnType<typeof testConfig>["auth"];

	beforeAll(async () => {
		const config = testConfig({ ...env, DB_NAME_PREFIX: `shop_t${uniqueId()}_` });
		broker = await startBroker(config, [
			gatewayService(config),
			authService(config),
			productsService(config),
			reviewsService(config),
			ordersService(config),
		]);
		base = gatewayBaseUrl(broker);
		auth = config.auth;
		admin = await signAccessToken({ sub: "ops", roles: ["admin"] }, config.auth);
	});
	afterAll(() => broker?.stop());

	const call = (method: string, path: string, body?: unknown, token?: string): Promise<JsonResponse> =>
		api(base, method, `/api/reviews${path}`, body, token ? { authorization: `Bearer ${token}` } : {});
	const shopper = () => signAccessToken({ sub: `shopper-${uniqueId()}`, roles: ["customer"] }, auth);
	async function product(): Promise<string> {
		const body = { sku: `R-${uniqueId()}`, name: "Teapot", category: "reviews", priceCents: 2500, currency: "EUR" };
		const created = await api(base, "POST", "/api/products", body, { authorization: `Bearer ${admin}` });
		expect(created.status).toBe(201);
		return created.body.id as string;
	}
	const review = (productId: string, rating: number, over: Record<string, unknown> = {}) => ({
		productId,
		rating,
		title: `${rating} stars`,
		body: "Pours well.\nKeeps warm.",
		...over,
	});
	const moderate = (id: string, decision: string, note?: string) =>
		call("POST", `/${id}/moderate`, note ? { decision, note } : { decision }, admin);
	/** A review of `productId` by a new shopper whose id starts with `prefix`. */
	const reviewedBy = async (prefix: string, productId: string, rating: number) => {
		const author = `${prefix}-${uniqueId()}`;
		const token = await signAccessToken({ sub: author, roles: ["customer"] }, auth);
		return { author, written: await call("POST", "/", review(productId, rating), token) };
	};
	const ordersDb = () => (broker.getLocalService("orders") as unknown as { sequelize: Sequelize }).sequelize;
	const teapotLine = (productId: string) => ({
		sku: "TEAPOT",
		productId,
		name: "Teapot",
		quantity: 1,
		unitPriceCents: 2500,
	});
	/** What a checkout leaves in the orders database: an order of `userId` in `status` with `lines`. */
	const insertOrder = (status: string, userId: string, lines: unknown[]) =>
		ordersDb().query(
			`INSERT INTO orders (order_id, user_id, status, reason, items, totals, payment_method, payment_id, shipping_address_id,
			   from_cart, stock_reserved, payment_authorized, idempotency_key, request_hash, version, created_at, updated_at)
			 VALUES (?, ?, ?, NULL, ?, '{}', 'sandbox_authorize', NULL, NULL, false, true, true, NULL, NULL, 1, ?, ?)`,
			{ replacements: [`o-${uniqueId()}`, userId, status, JSON.stringify(lines), Date.now(), Date.now()] },
		);

	it("when a shopper reviews a product, then it waits for moderation, and once approved it is shown and counted", async () => {
		const productId = await product();
		const token = await shopper();
		const created = await call("POST", "/", review(productId, 4), token);
		expect(created.status).toBe(201);
		expect(created.headers.get("location")).toBe(`/api/reviews/${created.body.id}`);
		expect(created.body).toMatchObject({ productId, rating: 4, status: "PENDING", body: "Pours well.\nKeeps warm." });

		// Not shown before moderation.
		expect((await call("GET", `/?productId=${productId}`)).body).toEqual({
			summary: { productId, reviewCount: 0, averageRating: null, stars: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 } },
			reviews: [],
		});
		const queue = await call("GET", "/moderation", undefined, admin);
		expect(queue.body.map((r: { id: string }) => r.id)).toContain(created.body.id);

		const approved = await moderate(created.body.id, "APPROVE");
		expect(approved.status).toBe(200);
		expect(approved.body).toMatchObject({ status: "APPROVED", moderationNote: null });
		const shown = await call("GET", `/?productId=${productId}`);
		expect(shown.body.summary).toEqual({
			productId,
			reviewCount: 1,
			averageRating: 4,
			stars: { 1: 0, 2: 0, 3: 0, 4: 1, 5: 0 },
		});
		expect(shown.body.reviews).toHaveLength(1);
		// The public view leaves moderation out.
		expect(shown.body.reviews[0]).not.toHaveProperty("status");
		expect((await call("GET", `/summary/${productId}`)).body.reviewCount).toBe(1);
	});

	it("when reviews are approved, changed, rejected and removed, then the summary always counts exactly the approved ones", async () => {
		const productId = await product();
		const ratings = [5, 3, 3, 1];
		const ids: string[] = [];
		const tokens: string[] = [];
		for (const rating of ratings) {
			const token = await shopper();
			tokens.push(token);
			ids.push((await call("POST", "/", review(productId, rating), token)).body.id);
		}
		// Approved at once, concurrently: the summary's increments must all land.
		const approvals = await Promise.all(ids.map((id) => moderate(id, "APPROVE")));
		expect(approvals.map((a) => a.status)).toEqual([200, 200, 200, 200]);
		let summary = (await call("GET", `/summary/${productId}`)).body;
		expect(summary).toMatchObject({ reviewCount: 4, averageRating: 3, stars: { 1: 1, 2: 0, 3: 2, 4: 0, 5: 1 } });

		// Its author changes the 1-star review to 4: it leaves the page until approved again.
		const changed = await call("PUT", `/${ids[3]}`, { rating: 4 }, tokens[3]);
		expect(changed.body).toMatchObject({ rating: 4, status: "PENDING" });
		summary = (await call("GET", `/summary/${productId}`)).body;
		expect(summary).toMatchObject({ reviewCount: 3, averageRating: 3.67, stars: { 1: 0, 3: 2, 5: 1 } });
		await moderate(ids[3] as string, "APPROVE");
		// An operator rejects one 3-star review (with a note its author can read).
		const rejected = await moderate(ids[1] as string, "REJECT", "Not about the product");
		expect(rejected.body).toMatchObject({ status: "REJECTED", moderationNote: "Not about the product" });
		expect((await call("GET", `/${ids[1]}`, undefined, tokens[1])).body.moderationNote).toBe("Not about the product");
		// Approving twice counts once.
		await moderate(ids[0] as string, "APPROVE");
		// Its author removes the other 3-star review.
		expect((await call("DELETE", `/${ids[2]}`, undefined, tokens[2])).status).toBe(204);

		summary = (await call("GET", `/summary/${productId}`)).body;
		expect(summary).toEqual({ productId, reviewCount: 2, averageRating: 4.5, stars: { 1: 0, 2: 0, 3: 0, 4: 1, 5: 1 } });
		const shown = (await call("GET", `/?productId=${productId}`)).body.reviews as Array<{ id: string }>;
		expect(shown.map((r) => r.id).sort()).toEqual([ids[0], ids[3]].sort());
	});

	it("when many reviews of one product are approved at once, then every approval answers and is counted", async () => {
		const productId = await product();
		const ids = await Promise.all(
			Array.from(
				{ length: 20 },
				async (_, i) => (await call("POST", "/", review(productId, 1 + (i % 5)), await shopper())).body.id,
			),
		);
		const approvals = await Promise.all(ids.map((id) => moderate(id, "APPROVE")));
		expect(approvals.map((a) => a.status)).toEqual(ids.map(() => 200));
		expect((await call("GET", `/summary/${productId}`)).body).toEqual({
			productId,
			reviewCount: 20,
			averageRating: 3,
			stars: { 1: 4, 2: 4, 3: 4, 4: 4, 5: 4 },
		});
	});

	it("when the author bought the product, then the review says so; one who did not, or only has an open order, not", async () => {
		const productId = await product();
		const buyer = `buyer-${uniqueId()}`;
		const token = await signAccessToken({ sub: buyer, roles: ["customer"] }, auth);
		// One CONFIRMED order with the product, one still open.
		const line = teapotLine(productId);
		const browser = `browser-${uniqueId()}`;
		await insertOrder("CONFIRMED", buyer, [line]);
		await insertOrder("PENDING", browser, [line]);

		const bought = await call("POST", "/", review(productId, 5), token);
		expect(bought.body).toMatchObject({ status: "PENDING", verifiedPurchase: true });
		const browserToken = await signAccessToken({ sub: browser, roles: ["customer"] }, auth);
		const notBought = await call("POST", "/", review(productId, 2), browserToken);
		expect(notBought.body.verifiedPurchase).toBe(false);

		// The open order is confirmed later, and the browser changes the review: now it carries the badge.
		await ordersDb().query("UPDATE orders SET status = 'CONFIRMED' WHERE user_id = ?", { replacements: [browser] });
		const changed = await call("PUT", `/${notBought.body.id}`, { rating: 4 }, browserToken);
		expect(changed.body).toMatchObject({ rating: 4, verifiedPurchase: true });
		await moderate(bought.body.id, "APPROVE");
		const shown = (await call("GET", `/?productId=${productId}`)).body.reviews;
		expect(shown).toEqual([expect.objectContaining({ id: bought.body.id, verifiedPurchase: true })]);
	});

	it("when a review written before its author's order was confirmed is approved, then it carries the badge", async () => {
		const productId = await product();
		const { author, written } = await reviewedBy("early", productId, 4);
		expect(written.body.verifiedPurchase).toBe(false);
		await insertOrder("CONFIRMED", author, [teapotLine(productId)]);
		expect((await moderate(written.body.id, "APPROVE")).body).toMatchObject({
			status: "APPROVED",
			verifiedPurchase: true,
		});
		const shown = (await call("GET", `/?productId=${productId}`)).body.reviews;
		expect(shown).toEqual([expect.objectContaining({ id: written.body.id, verifiedPurchase: true })]);
	});

	it("when an operator decides on a review, then its author's review.moderated.v1 is written once per decision that changes it", async () => {
		const productId = await product();
		const { author, written } = await reviewedBy("author", productId, 2);
		expect((await moderate(written.body.id, "REJECT", "Please leave out the phone number.")).status).toBe(200);
		// The same decision again changes nothing the author would be told of; approving it later does.
		expect((await moderate(written.body.id, "REJECT", "Please leave out the phone number.")).status).toBe(200);
		expect((await moderate(written.body.id, "APPROVE")).status).toBe(200);

		const reviewsDb = (broker.getLocalService("reviews") as unknown as { sequelize: Sequelize }).sequelize;
		const rows = await reviewsDb.query<{ topic: string; event_key: string; envelope: string }>(
			"SELECT topic, event_key, envelope FROM outbox_events WHERE event_key = ? ORDER BY id",
			{ replacements: [written.body.id], type: QueryTypes.SELECT },
		);
		expect(rows.map((r) => r.topic)).toEqual(["review.moderated.v1", "review.moderated.v1"]);
		expect(rows.map((r) => JSON.parse(r.envelope).payload)).toEqual([
			{
				reviewId: written.body.id,
				productId,
				productName: "Teapot",
				userId: author,
				status: "REJECTED",
				rating: 2,
				note: "Please leave out the phone number.",
			},
			expect.objectContaining({ status: "APPROVED", note: null }),
		]);
	});

	it("when input is bad or the caller may not, then a clear 4xx and nothing changes", async () => {
		const productId = await product();
		const token = await shopper();
		const other = await shopper();

		// Anonymous writes: 401; a shopper's moderation: 403.
		expect((await call("POST", "/", review(productId, 5))).status).toBe(401);
		const first = await call("POST", "/", review(productId, 5), token);
		expect((await call("GET", "/moderation", undefined, token)).status).toBe(403);
		expect((await call("POST", `/${first.body.id}/moderate`, { decision: "APPROVE" }, token)).status).toBe(403);

		// One review per shopper and product.
		const again = await call("POST", "/", review(productId, 1), token);
		expect(again.status).toBe(409);
		expect(again.body).toMatchObject(ERROR_SHAPE);
		expect(again.body.error).toMatchObject({ code: "REVIEW_EXISTS", details: { reviewId: first.body.id } });

		for (const bad of [
			review(productId, 6),
			review(productId, 0),
			review(productId, 4.5),
			review(productId, 4, { title: "   " }),
			review(productId, 4, { title: "two\nlines" }),
			review(productId, 4, { body: "x".repeat(5001) }),
			review(productId, 4, { extra: true }),
			review("not-a-uuid", 4),
		]) {
			const res = await call("POST", "/", bad, other);
			expect([JSON.stringify(bad).slice(0, 60), res.status, res.body.error.code]).toEqual([
				JSON.stringify(bad).slice(0, 60),
				400,
				"VALIDATION_ERROR",
			]);
		}
		const unknownProduct = await call("POST", "/", review("00000000-0000-4000-8000-000000000000", 4), other);
		expect([unknownProduct.status, unknownProduct.body.error.code]).toEqual([404, "PRODUCT_NOT_FOUND"]);

		// Another shopper's review: 404 to change, remove or read it; it stays as it was.
		expect((await call("PUT", `/${first.body.id}`, { rating: 1 }, other)).status).toBe(404);
		expect((await call("DELETE", `/${first.body.id}`, undefined, other)).status).toBe(404);
		expect((await call("GET", `/${first.body.id}`, undefined, other)).status).toBe(404);
		expect((await call("PUT", `/${first.body.id}`, {}, token)).body.error.code).toBe("REVIEW_UNCHANGED");
		expect((await moderate(first.body.id, "MAYBE")).status).toBe(400);
		expect((await moderate("00000000-0000-4000-8000-000000000000", "APPROVE")).status).toBe(404);
		expect((await call("GET", "/?productId=nope")).status).toBe(400);
		expect((await call("GET", `/${first.body.id}`, undefined, token)).body).toMatchObject({
			rating: 5,
			status: "PENDING",
		});
		expect((await call("GET", "/mine", undefined, other)).body).toEqual([]);
		expect((await call("GET", "/mine", undefined, token)).body.map((r: { id: string }) => r.id)).toEqual([
			first.body.id,
		]);
	});
});
