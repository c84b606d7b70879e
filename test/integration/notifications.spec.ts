/**
 * Notifications end to end on real parts: order and payment events through Kafka, MariaDB, the real
 * auth and users services, mails through a private Mailpit (a real SMTP server the test stops and
 * starts), read back through Mailpit's API and the gateway.
 */
import { randomUUID } from "node:crypto";
import type { ServiceBroker, ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import { signAccessToken } from "../../lib/auth/access-token";
import { TOPIC } from "../../lib/events/checkout-topics";
import { type EventEnvelope, newEvent } from "../../lib/events/event-envelope";
import { NOTIFICATION_TOPIC } from "../../lib/events/notification-topics";
import { REVIEW_TOPIC, type ReviewModeratedPayload } from "../../lib/events/review-topics";
import authService from "../../services/auth/auth.service";
import gatewayService from "../../services/gateway/api.service";
import notificationsService from "../../services/notifications/notifications.service";
import usersService from "../../services/users/users.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { publishEvent } from "../support/checkout";
import { sleep, waitFor } from "../support/events/harness";
import { api, ERROR_SHAPE, gatewayBaseUrl } from "../support/http";
import { infra } from "../support/infra";
import { type ArrivedMail, mailpitAvailable, PrivateMailpit } from "../support/mailpit";

interface View {
	id: number;
	status: string;
	template: string;
	attempts: number;
	subject: string;
	lastError: string | null;
	userId: string;
}

const withMailpit = mailpitAvailable() ? describe : describe.skip;

withMailpit("notifications (Kafka, MariaDB, a private Mailpit)", () => {
	let mailpit: PrivateMailpit;
	let broker: ServiceBroker;
	let base: string;
	let admin: string;
	const outEvents: EventEnvelope[] = [];

	/** A shopper signed up through the gateway: their id, email and token. */
	async function shopper(): Promise<{ userId: string; email: string; token: string }> {
		const email = `buyer-${uniqueId()}@example.com`;
		const signup = await api(base, "POST", "/api/auth/signup", { email, password: "a long password" });
		expect(signup.status).toBe(201);
		const token = signup.body.accessToken as string;
		const me = await api(base, "GET", "/api/auth/validate", undefined, { authorization: `Bearer ${token}` });
		return { userId: me.body.sub as string, email, token };
	}

	const orderCreatedFor = (userId: string, orderId = `o-${uniqueId()}`) =>
		newEvent(
			TOPIC.orderCreated,
			orderId,
			{
				orderId,
				userId,
				items: [{ sku: "MUG-1", productId: "p-1", name: "Blue mug", quantity: 2, unitPriceCents: 1250 }],
				amountCents: 2500,
				currency: "EUR",
				paymentMethod: "sandbox_authorize",
			},
			`corr-${orderId}`,
		);
	const messagesOf = async (token: string, query = ""): Promise<View[]> =>
		(await api(base, "GET", `/api/notifications${query}`, undefined, { authorization: `Bearer ${token}` })).body;
	const inspect = (id: number) => broker.call<View, object>("notifications.inspect", { id });
	const mailsTo = (email: string) => mailpit.mailsTo(email);

	beforeAll(async () => {
		mailpit = await PrivateMailpit.create();
		await mailpit.start();
		const config = testConfig({
			DATABASE_URL: infra.databaseUrl,
			EVENTS_URL: infra.kafkaUrl,
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "error",
			NOTIFY_PROVIDER: "smtp",
			SMTP_URL: mailpit.smtpUrl,
			NOTIFY_MAX_ATTEMPTS: "3",
			// The sweep retries no sooner than 2.5 s after a first failure: long enough for the test to ask first.
			NOTIFY_RETRY_BACKOFF_MS: "5000",
			NOTIFY_RETRY_INTERVAL_MS: "200",
			NOTIFY_SEND_TIMEOUT_MS: "3000",
			OUTBOX_RELAY_INTERVAL_MS: "200",
		});
		const collect = (e: EventEnvelope) => {
			outEvents.push(e);
		};
		const listener = {
			name: "notification-listener",
			channels: {
				[NOTIFICATION_TOPIC.deadLettered]: { group: "test", handler: collect },
				[NOTIFICATION_TOPIC.alert]: { group: "test", handler: collect },
			},
		} as ServiceSchema;
		broker = await startBroker(config, [
			gatewayService(config),
			authService(config),
			usersService(config),
			notificationsService(config),
			listener,
		]);
		base = gatewayBaseUrl(broker);
		admin = await signAccessToken({ sub: "ops", roles: ["admin"] }, config.auth);
		// Kafka consumer groups start at the end of a topic once joined: wait until an event gets through.
		const probe = await shopper();
		await waitFor(
			"a probe order's mail",
			async () => {
				await publishEvent(broker, orderCreatedFor(probe.userId));
				await sleep(1000);
				return (await mailsTo(probe.email)).length > 0 ? true : undefined;
			},
			90_000,
			0,
		);
	}, 120_000);

	afterAll(async () => {
		await broker?.stop();
		await mailpit?.dispose();
	});

	it("when an order is placed and paid, then the shopper gets both mails and sees them as SENT", async () => {
		const buyer = await shopper();
		const created = orderCreatedFor(buyer.userId);
		const orderId = created.payload.orderId;
		await publishEvent(broker, created);
		// No userId on the payment: the service finds the order's shopper itself.
		await publishEvent(
			broker,
			newEvent(
				TOPIC.paymentAuthorized,
				orderId,
				{ orderId, paymentId: "pay-1", amountCents: 2500, currency: "EUR" },
				`corr-${orderId}`,
			),
		);

		const mails = await waitFor("two mails", async () => {
			const arrived = await mailsTo(buyer.email);
			return arrived.length >= 2 ? arrived : undefined;
		});
		expect(mails.map((m) => m.Subject).sort()).toEqual([
			`Payment received for order ${orderId}`,
			`We received your order ${orderId}`,
		]);
		const received = mails.find((m) => m.Subject.startsWith("We received")) as ArrivedMail;
		// Every attempt at a message carries the same Message-ID, made of its event and template.
		expect(received.MessageID).toBe(`${created.eventId}.order-received@localhost`);
		expect(await mailpit.textOf(received.ID)).toContain("- 2 x Blue mug");
		expect(await mailpit.textOf(received.ID)).toContain("Total: 25.00 EUR");

		const listed = await waitFor("both SENT", async () => {
			const mine = await messagesOf(buyer.token);
			return mine.length === 2 && mine.every((m) => m.status === "SENT") ? mine : undefined;
		});
		expect(listed.map((m) => m.template).sort()).toEqual(["order-received", "payment-authorized"]);
		// What the REPL's `order <id>` shows of them.
		expect(await broker.call("notifications.byOrder", { orderId })).toEqual([
			expect.objectContaining({ template: "order-received", status: "SENT", recipient: buyer.email, attempts: 1 }),
			expect.objectContaining({ template: "payment-authorized", status: "SENT", recipient: buyer.email, attempts: 1 }),
		]);
	});

	it("when orders end, then the shopper hears how, the reason in words, but not twice of a failed payment", async () => {
		const buyer = await shopper();
		const confirmed = orderCreatedFor(buyer.userId);
		const outOfStock = orderCreatedFor(buyer.userId);
		const declined = orderCreatedFor(buyer.userId);
		for (const created of [confirmed, outOfStock, declined]) await publishEvent(broker, created);
		// The ends come once the orders' first mails went: without the orders service here, the shopper of an end
		// event without userId is found only through the order's earlier message.
		await waitFor("the three order mails", async () => ((await mailsTo(buyer.email)).length >= 3 ? true : undefined));
		const end = (type: string, created: typeof confirmed, payload: Record<string, unknown>) => {
			const { orderId } = created.payload;
			return publishEvent(broker, newEvent(type, orderId, { orderId, ...payload }, `corr-${orderId}`));
		};
		await end(TOPIC.orderConfirmed, confirmed, { userId: buyer.userId, paymentId: "p", items: [], fromCart: false });
		// No userId on these: the order's earlier message names its shopper.
		await end(TOPIC.orderCancelled, outOfStock, { reason: "INSUFFICIENT_STOCK" });
		await end(TOPIC.orderCancelled, declined, { reason: "PAYMENT_DECLINED" });

		const mails = await waitFor("the three order mails and two end mails", async () => {
			const arrived = await mailsTo(buyer.email);
			return arrived.length >= 5 ? arrived : undefined;
		});
		const subjects = mails.map((m) => m.Subject);
		expect(subjects).toContain(`Your order ${confirmed.payload.orderId} is confirmed`);
		expect(subjects).toContain(`Your order ${outOfStock.payload.orderId} was cancelled`);
		const cancelled = mails.find((m) => m.Subject === `Your order ${outOfStock.payload.orderId} was cancelled`);
		expect(await mailpit.textOf((cancelled as { ID: string }).ID)).toContain(
			"was cancelled: an item ran out of stock before we could hold it for you.",
		);
		await sleep(1500);
		// The declined order's cancellation made no mail (payment.failed.v1 tells of it).
		expect((await mailsTo(buyer.email)).map((m) => m.Subject).sort()).toEqual(
			[
				`Your order ${confirmed.payload.orderId} is confirmed`,
				`Your order ${outOfStock.payload.orderId} was cancelled`,
				...[confirmed, outOfStock, declined].map((c) => `We received your order ${c.payload.orderId}`),
			].sort(),
		);
	});

	it("when the same event arrives three times, then one mail is sent", async () => {
		const buyer = await shopper();
		const created = orderCreatedFor(buyer.userId);
		await Promise.all([1, 2, 3].map(() => publishEvent(broker, created)));
		await waitFor("the mail", async () => ((await mailsTo(buyer.email)).length > 0 ? true : undefined));
		await sleep(1500);
		expect(await mailsTo(buyer.email)).toHaveLength(1);
		expect(await messagesOf(buyer.token)).toHaveLength(1);
	});

	it("when an operator rejects a review, then its author is told why, even with order updates off", async () => {
		const author = await shopper();
		const auth = { authorization: `Bearer ${author.token}` };
		expect((await api(base, "PUT", "/api/users/me/preferences", { orderUpdates: false }, auth)).status).toBe(200);
		const reviewId = randomUUID();
		const payload: ReviewModeratedPayload = {
			reviewId,
			productId: randomUUID(),
			productName: "Blue mug",
			userId: author.userId,
			status: "REJECTED",
			rating: 2,
			note: "Please leave out the phone number.",
		};
		await publishEvent(broker, newEvent(REVIEW_TOPIC.moderated, reviewId, payload, `corr-${reviewId}`));

		const [mail] = await waitFor("the decision's mail", async () => {
			const arrived = await mailsTo(author.email);
			return arrived.length > 0 ? arrived : undefined;
		});
		expect(mail?.Subject).toBe("Your review was not published");
		const text = await mailpit.textOf((mail as ArrivedMail).ID);
		expect(text).toContain("your review of Blue mug was not published.");
		expect(text).toContain("Our team's note: Please leave out the phone number.");
		const [listed] = await messagesOf(author.token);
		expect(listed).toMatchObject({ template: "review-moderated", orderId: null, status: "SENT" });
	});

	it("when the shopper turned order updates off, then nothing is sent and the message is SKIPPED", async () => {
		const buyer = await shopper();
		const auth = { authorization: `Bearer ${buyer.token}` };
		expect((await api(base, "PUT", "/api/users/me/preferences", { orderUpdates: false }, auth)).status).toBe(200);
		await publishEvent(broker, orderCreatedFor(buyer.userId));

		const [message] = await waitFor("the message", async () => {
			const mine = await messagesOf(buyer.token);
			return mine.length > 0 ? mine : undefined;
		});
		expect(message).toMatchObject({ status: "SKIPPED", lastError: "order updates turned off", attempts: 0 });
		await sleep(1000);
		expect(await mailsTo(buyer.email)).toEqual([]);
	});

	it("when a shopper asks for another's messages, then 403; an operator may, and the operator routes need the role", async () => {
		const buyer = await shopper();
		const other = await shopper();
		const auth = { authorization: `Bearer ${buyer.token}` };
		const refused = await api(base, "GET", `/api/notifications?userId=${other.userId}`, undefined, auth);
		expect(refused.status).toBe(403);
		expect(refused.body).toMatchObject(ERROR_SHAPE);
		expect((await api(base, "GET", "/api/notifications/dead-letters", undefined, auth)).status).toBe(403);
		expect((await api(base, "POST", "/api/notifications/retry-failed", {}, auth)).status).toBe(403);
		const asOperator = await api(base, "GET", `/api/notifications?userId=${other.userId}`, undefined, {
			authorization: `Bearer ${admin}`,
		});
		expect(asOperator.status).toBe(200);
		expect(asOperator.body).toEqual([]);
		const bad = await api(
			base,
			"POST",
			"/api/notifications/dead-letters/abc/requeue",
			{},
			{
				authorization: `Bearer ${admin}`,
			},
		);
		expect(bad.status).toBe(400);
		const missing = await api(
			base,
			"POST",
			"/api/notifications/dead-letters/999999999/requeue",
			{},
			{
				authorization: `Bearer ${admin}`,
			},
		);
		expect(missing.status).toBe(404);
		expect(missing.body.error.code).toBe("NOTIFICATION_NOT_FOUND");
	});

	it("when the mail server is down, then a failed message is listed, and retry-failed sends it once the server is back", async () => {
		const buyer = await shopper();
		await mailpit.stop();
		try {
			await publishEvent(broker, orderCreatedFor(buyer.userId));
			const [failed] = await waitFor("the first attempt to fail", async () => {
				const mine = await messagesOf(buyer.token);
				return mine[0]?.status === "FAILED" ? mine : undefined;
			});
			expect(failed).toMatchObject({ status: "FAILED", attempts: 1 });
			const listed = (
				await api(base, "GET", "/api/notifications/failed", undefined, { authorization: `Bearer ${admin}` })
			).body as View[];
			expect(listed.map((m) => m.id)).toContain((failed as View).id);
		} finally {
			await mailpit.start();
		}
		const retried = await api(
			base,
			"POST",
			"/api/notifications/retry-failed",
			{},
			{ authorization: `Bearer ${admin}` },
		);
		expect(retried.status).toBe(200);
		expect(retried.body).toMatchObject({ sent: 1, failed: 0, dead: 0 });
		expect((await messagesOf(buyer.token))[0]).toMatchObject({ status: "SENT", attempts: 2 });
		expect(await mailsTo(buyer.email)).toHaveLength(1);
	});

	it("when a node died after recording a message and before sending it, then another node's sweep sends it once its lease ends", async () => {
		const buyer = await shopper();
		// What the dead node left: the message PENDING, its lease (next_attempt_at) just ended.
		const db = (broker.getLocalService("notifications") as unknown as { sequelize: Sequelize }).sequelize;
		const now = Date.now();
		await db.query(
			`INSERT INTO notifications (source_event_id, source_type, template, order_id, user_id, channel, recipient, subject, body,
			   status, attempts, last_error, next_attempt_at, correlation_id, created_at, updated_at, sent_at)
			 VALUES (?, 'order.created.v1', 'order-received', 'o-left', ?, 'email', ?, 'Left behind', 'Hello', 'PENDING', 0, NULL, ?, NULL, ?, ?, NULL)`,
			{ replacements: [`left-${uniqueId()}`, buyer.userId, buyer.email, now - 1000, now - 30_000, now - 30_000] },
		);
		const [sent] = await waitFor("the sweep to send it", async () => {
			const mine = await messagesOf(buyer.token);
			return mine[0]?.status === "SENT" ? mine : undefined;
		});
		expect(sent).toMatchObject({ subject: "Left behind", attempts: 1 });
		expect((await mailsTo(buyer.email)).map((m) => m.Subject)).toEqual(["Left behind"]);
	});

	it("when every attempt fails, then the message is dead-lettered with notification.dlq.v1 and an alert, and a requeue sends it", async () => {
		const buyer = await shopper();
		await mailpit.stop();
		let dead: View | undefined;
		try {
			await publishEvent(broker, orderCreatedFor(buyer.userId));
			[dead] = await waitFor(
				"the message to be dead-lettered",
				async () => {
					const mine = await messagesOf(buyer.token);
					return mine[0]?.status === "DEAD" ? mine : undefined;
				},
				60_000,
				200,
			);
		} finally {
			await mailpit.start();
		}
		if (!dead) throw new Error("no dead letter");
		expect(dead).toMatchObject({ status: "DEAD", attempts: 3 });
		const letters = (
			await api(base, "GET", "/api/notifications/dead-letters", undefined, { authorization: `Bearer ${admin}` })
		).body as View[];
		expect(letters.map((m) => m.id)).toContain(dead.id);
		const published = await waitFor("the dead letter and alert events", async () => {
			const mine = outEvents.filter((e) => (e.payload as { notificationId: number }).notificationId === dead.id);
			return mine.length >= 2 ? mine : undefined;
		});
		expect(published.map((e) => e.type).sort()).toEqual([NOTIFICATION_TOPIC.alert, NOTIFICATION_TOPIC.deadLettered]);
		expect(published.find((e) => e.type === NOTIFICATION_TOPIC.deadLettered)?.payload).toMatchObject({
			notificationId: dead.id,
			template: "order-received",
			userId: buyer.userId,
			attempts: 3,
		});

		const requeue = () =>
			api(base, "POST", `/api/notifications/dead-letters/${dead.id}/requeue`, {}, { authorization: `Bearer ${admin}` });
		const first = await requeue();
		expect(first.status).toBe(200);
		expect(first.body.notification).toMatchObject({ id: dead.id, status: "SENT", attempts: 1 });
		expect(await mailsTo(buyer.email)).toHaveLength(1);
		const again = await requeue();
		expect(again.status).toBe(409);
		expect(again.body.error.code).toBe("NOTIFICATION_NOT_DEAD");
		expect((await inspect(dead.id)).status).toBe("SENT");
	});
});
