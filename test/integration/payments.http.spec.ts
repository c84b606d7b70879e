/**
 * The payments service through the gateway, with the built-in sandbox provider delivering signed
 * webhooks over real HTTP to the gateway, on SQLite with in-process events and on MariaDB with NATS
 * JetStream. The orders side is a stand-in: the tests publish the order events themselves and a
 * stand-in service records what payments publishes.
 */
import { randomUUID } from "node:crypto";
import type { ServiceBroker, ServiceSchema } from "moleculer";
import type { AppConfig } from "../../config";
import { signAccessToken } from "../../lib/auth/access-token";
import { type OrderCreatedPayload, type OrderRefPayload, TOPIC } from "../../lib/events/checkout-topics";
import { type EventEnvelope, newEvent } from "../../lib/events/event-envelope";
import authService from "../../services/auth/auth.service";
import gatewayService from "../../services/gateway/api.service";
import type { PaymentsRepository } from "../../services/payments/payments.repository";
import paymentsService from "../../services/payments/payments.service";
import { sandboxIntentIdOf } from "../../services/payments/sandbox-provider";
import { signWebhook } from "../../services/payments/webhook-signature";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { publishEvent } from "../support/checkout";
import { sleep, waitFor } from "../support/events/harness";
import { api, ERROR_SHAPE, gatewayBaseUrl } from "../support/http";
import { infra } from "../support/infra";
import { METRICS_ON, metricTotal } from "../support/metrics";

const MAX_ATTEMPTS = 3;

interface Payment {
	paymentId: string;
	orderId: string;
	userId: string | null;
	status: string;
	reason: string | null;
	amountCents: number;
	currency: string;
	method: string;
	providerIntentId: string | null;
}

/** Stands in for the orders service: records every outcome payments announces. */
function ordersStandIn(seen: EventEnvelope[]): ServiceSchema {
	const handler = (envelope: EventEnvelope) => {
		seen.push(envelope);
	};
	return {
		name: "payments-spec-orders",
		channels: {
			[TOPIC.paymentAuthorized]: { group: "payments-spec-orders", handler },
			[TOPIC.paymentFailed]: { group: "payments-spec-orders", handler },
			[TOPIC.paymentRefunded]: { group: "payments-spec-orders", handler },
		},
	} as ServiceSchema;
}

describe.each([
	["SQLite, in-process events", {}],
	["MariaDB, NATS JetStream", { DATABASE_URL: infra.databaseUrl, EVENTS_URL: infra.natsUrl }],
])("payments over HTTP on %s", (_label, env) => {
	let config: AppConfig;
	let broker: ServiceBroker;
	let base: string;
	let admin: string;
	const seen: EventEnvelope[] = [];

	const as = (token: string) => ({ authorization: `Bearer ${token}` });
	const shopper = async () => {
		const sub = `u-${uniqueId()}`;
		return { sub, token: await signAccessToken({ sub, roles: [] }, config.auth) };
	};

	const paymentOf = (orderId: string) => broker.call<Payment | null, object>("payments.byOrder", { orderId });
	/** The stored row, with what the API does not show (the order's state as payments saw it). */
	const recordOf = (orderId: string) =>
		(broker.getLocalService("payments") as unknown as { payments: PaymentsRepository }).payments.findByOrder(orderId);
	const orderConfirmed = (orderId: string, userId: string, paymentId: string) =>
		publishEvent(
			broker,
			newEvent(
				TOPIC.orderConfirmed,
				orderId,
				{ orderId, userId, paymentId, items: [], fromCart: false },
				`corr-${orderId}`,
			),
		);
	const paymentIn = (orderId: string, status: string) =>
		waitFor(`the payment of ${orderId} to be ${status}`, async () => {
			const payment = await paymentOf(orderId);
			return payment?.status === status ? payment : undefined;
		});
	const announced = (topic: string, orderId: string) =>
		seen.filter((e) => e.type === topic && (e.payload as { orderId?: string }).orderId === orderId);
	const announcement = (topic: string, orderId: string) =>
		waitFor(`${topic} of ${orderId}`, () => announced(topic, orderId)[0]);

	const orderCreated = (
		userId: string,
		paymentMethod: string,
		amountCents = 1500,
		orderId: string = randomUUID(),
	): Promise<EventEnvelope> =>
		publishEvent(
			broker,
			newEvent<OrderCreatedPayload>(
				TOPIC.orderCreated,
				orderId,
				{ orderId, userId, items: [{ sku: "PAY-SKU", quantity: 1 }], amountCents, currency: "EUR", paymentMethod },
				`corr-${orderId}`,
			),
		);
	const orderEnded = (topic: string, orderId: string, reason?: string) =>
		publishEvent(broker, newEvent<OrderRefPayload>(topic, orderId, { orderId, reason }, `corr-${orderId}`));

	/** A webhook body as the sandbox sends it, for the intent of `payment`. */
	const webhookBody = (payment: Pick<Payment, "paymentId">, event: string, id = `evt_${randomUUID()}`) =>
		JSON.stringify({
			id,
			event,
			intentId: sandboxIntentIdOf(payment.paymentId),
			reference: payment.paymentId,
			amountCents: 1500,
			currency: "EUR",
			createdAt: new Date().toISOString(),
		});
	const postWebhook = async (body: string, signature?: string) => {
		const res = await fetch(`${base}/api/payments/webhook`, {
			method: "POST",
			headers: {
				"content-type": "application/json",
				...(signature === undefined ? {} : { "x-razorpay-signature": signature }),
			},
			body,
		});
		const text = await res.text();
		return { status: res.status, body: text ? JSON.parse(text) : undefined };
	};
	const signed = (body: string) => postWebhook(body, signWebhook(config.payments.webhookSecret, body));

	/** An operator's requeue of a provider dead letter. */
	const requeue = (letterId: number) =>
		api(base, "POST", `/api/payments/provider/dead-letters/${letterId}/requeue`, undefined, as(admin));
	const setOutage = async (enabled: boolean) => {
		const res = await api(base, "POST", `/api/payments/provider/outage-mode?enabled=${enabled}`, undefined, as(admin));
		expect(res).toMatchObject({ status: 200, body: { enabled } });
	};
	const deadLettersOf = async (paymentId: string) =>
		(await api(base, "GET", `/api/payments/provider/dead-letters?paymentId=${paymentId}`, undefined, as(admin))).body;

	beforeAll(async () => {
		config = testConfig({
			...env,
			...METRICS_ON,
			DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
			OUTBOX_RELAY_INTERVAL_MS: "100",
			PAYMENT_SANDBOX_WEBHOOK_DELAY_MS: "10",
			PAYMENT_SANDBOX_LATENCY_MS: "1",
			// Every sandbox webhook is delivered twice: each test also proves a redelivery changes nothing.
			PAYMENT_SANDBOX_DUPLICATE_RATE: "1",
			PAYMENT_PROVIDER_BACKOFF_MS: "10",
			PAYMENT_PROVIDER_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
		});
		broker = await startBroker(config, [
			gatewayService(config),
			authService(config),
			paymentsService(config),
			ordersStandIn(seen),
		]);
		base = gatewayBaseUrl(broker);
		admin = await signAccessToken({ sub: "ops", roles: ["admin"] }, config.auth);
		// A durable consumer may join after its first messages: send probes until one goes all the way round.
		const deadline = Date.now() + 30_000;
		for (;;) {
			const probe = await orderCreated("probe-user", "sandbox_authorize");
			const until = Date.now() + 3000;
			while (Date.now() < until && announced(TOPIC.paymentAuthorized, probe.key).length === 0) await sleep(50);
			if (announced(TOPIC.paymentAuthorized, probe.key).length > 0) break;
			if (Date.now() > deadline) throw new Error("no probe payment was authorized within 30 s");
		}
	}, 60_000);
	afterAll(() => broker?.stop());

	it("when an order is created with sandbox_authorize, then a signed webhook over HTTP authorizes it and payment.authorized.v1 is published once", async () => {
		const owner = await shopper();
		const webhooksBefore = metricTotal(broker, "moleculer.request.total", { action: "payments.webhook" });
		const { key: orderId } = await orderCreated(owner.sub, "sandbox_authorize", 4400);

		const payment = await paymentIn(orderId, "AUTHORIZED");
		expect(payment).toMatchObject({
			orderId,
			userId: owner.sub,
			amountCents: 4400,
			currency: "EUR",
			method: "sandbox_authorize",
			reason: null,
			providerIntentId: sandboxIntentIdOf(payment.paymentId),
		});
		const event = await announcement(TOPIC.paymentAuthorized, orderId);
		expect(event).toMatchObject({
			key: orderId,
			correlationId: `corr-${orderId}`,
			payload: { orderId, paymentId: payment.paymentId, amountCents: 4400, currency: "EUR" },
		});
		// The sandbox sends every webhook twice here: both came in over HTTP, one was applied.
		await waitFor("both webhook copies", () =>
			metricTotal(broker, "moleculer.request.total", { action: "payments.webhook" }) >= webhooksBefore + 2
				? true
				: undefined,
		);
		await sleep(300);
		expect(announced(TOPIC.paymentAuthorized, orderId)).toHaveLength(1);

		const own = await api(base, "GET", `/api/payments/${payment.paymentId}`, undefined, as(owner.token));
		expect(own).toMatchObject({ status: 200, body: { paymentId: payment.paymentId, status: "AUTHORIZED" } });
		expect(own.body.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
	});

	it("when the order is then confirmed, then the payment is CAPTURED and counted", async () => {
		const owner = await shopper();
		const { key: orderId } = await orderCreated(owner.sub, "sandbox_authorize");
		const payment = await paymentIn(orderId, "AUTHORIZED");
		const captured = metricTotal(broker, "shop_payments_total", { status: "CAPTURED" });
		await orderConfirmed(orderId, owner.sub, payment.paymentId);
		await paymentIn(orderId, "CAPTURED");
		expect(metricTotal(broker, "shop_payments_total", { status: "CAPTURED" })).toBe(captured + 1);
		expect(await recordOf(orderId)).toMatchObject({ status: "CAPTURED", orderState: "CONFIRMED" });
		// The sandbox's payment.captured webhooks come after: recorded, nothing moves.
		await sleep(200);
		expect((await paymentOf(orderId))?.status).toBe("CAPTURED");
	});

	it("when an order is created with sandbox_decline, then the payment is FAILED and payment.failed.v1 says PAYMENT_DECLINED", async () => {
		const owner = await shopper();
		const { key: orderId } = await orderCreated(owner.sub, "sandbox_decline");
		const payment = await paymentIn(orderId, "FAILED");
		expect(payment.reason).toBe("PAYMENT_DECLINED");
		const event = await announcement(TOPIC.paymentFailed, orderId);
		expect(event.payload).toMatchObject({ orderId, paymentId: payment.paymentId, reason: "PAYMENT_DECLINED" });
		expect(announced(TOPIC.paymentAuthorized, orderId)).toHaveLength(0);
	});

	it("when a webhook's signature is missing, wrong or tampered with, or its body malformed, then it is refused and nothing is stored", async () => {
		const owner = await shopper();
		const { key: orderId } = await orderCreated(owner.sub, "sandbox_no_answer");
		const payment = await paymentIn(orderId, "PENDING");
		const eventId = `evt_${randomUUID()}`;
		const body = webhookBody(payment, "payment.authorized", eventId);
		const signature = signWebhook(config.payments.webhookSecret, body);

		const refusals = [
			await postWebhook(body),
			await postWebhook(body, signWebhook("not-the-secret", body)),
			await postWebhook(body.replace("1500", "1"), signature),
			await postWebhook(body, signature.slice(0, 40)),
		];
		for (const res of refusals) {
			expect(res.status).toBe(401);
			expect(res.body).toMatchObject({ ...ERROR_SHAPE, error: { code: "INVALID_SIGNATURE" } });
		}
		const malformed = [
			"not json at all",
			JSON.stringify([1, 2]),
			JSON.stringify({ ...JSON.parse(body), intentId: undefined }),
			JSON.stringify({ ...JSON.parse(body), event: "payment.refunded" }),
			JSON.stringify({ ...JSON.parse(body), amountCents: "1500" }),
		];
		for (const text of malformed) {
			const res = await signed(text);
			expect([res.status, text]).toEqual([400, text]);
			expect(res.body).toMatchObject({ ...ERROR_SHAPE, error: { code: "INVALID_WEBHOOK_PAYLOAD" } });
		}
		expect((await paymentOf(orderId))?.status).toBe("PENDING");

		// Nothing of the refused ones was stored: the same event id, properly signed, is new.
		expect(await postWebhook(body, signature)).toEqual({ status: 200, body: { received: true } });
		await paymentIn(orderId, "AUTHORIZED");
	});

	it("when the same webhook comes twice at once, then it is applied once and the second is answered as a duplicate", async () => {
		const owner = await shopper();
		const { key: orderId } = await orderCreated(owner.sub, "sandbox_no_answer");
		const payment = await paymentIn(orderId, "PENDING");
		const body = webhookBody(payment, "payment.authorized");
		const answers = await Promise.all([signed(body), signed(body)]);
		expect(answers.map((a) => a.status)).toEqual([200, 200]);
		expect(
			answers.map((a) => a.body).sort((a, b) => Number(Boolean(a.duplicate)) - Number(Boolean(b.duplicate))),
		).toEqual([{ received: true }, { received: true, duplicate: true }]);
		expect(await signed(body)).toEqual({ status: 200, body: { received: true, duplicate: true } });
		await paymentIn(orderId, "AUTHORIZED");
		await announcement(TOPIC.paymentAuthorized, orderId);
		await sleep(300);
		expect(announced(TOPIC.paymentAuthorized, orderId)).toHaveLength(1);
	});

	it("when a late event comes for a payment past it, then it is recorded and ignored: nothing moves backwards", async () => {
		const owner = await shopper();
		const { key: orderId } = await orderCreated(owner.sub, "sandbox_decline");
		const payment = await paymentIn(orderId, "FAILED");
		expect(await signed(webhookBody(payment, "payment.authorized"))).toEqual({ status: 200, body: { received: true } });
		await sleep(200);
		expect((await paymentOf(orderId))?.status).toBe("FAILED");
		expect(announced(TOPIC.paymentAuthorized, orderId)).toHaveLength(0);
	});

	it("when a capture or void is reported for a payment already final, then it is recorded once, a repeat is a duplicate, and nothing moves", async () => {
		const owner = await shopper();
		const { key: orderId } = await orderCreated(owner.sub, "sandbox_decline");
		const payment = await paymentIn(orderId, "FAILED");
		await announcement(TOPIC.paymentFailed, orderId);
		for (const event of ["payment.voided", "payment.captured"]) {
			const body = webhookBody(payment, event);
			expect(await signed(body)).toEqual({ status: 200, body: { received: true } });
			expect(await signed(body)).toEqual({ status: 200, body: { received: true, duplicate: true } });
		}
		await sleep(200);
		expect(await paymentOf(orderId)).toMatchObject({ status: "FAILED", reason: "PAYMENT_DECLINED" });
		expect(announced(TOPIC.paymentFailed, orderId)).toHaveLength(1);
		expect(announced(TOPIC.paymentRefunded, orderId)).toHaveLength(0);
	});

	it("when the order is cancelled after the authorization, then the payment is VOIDED at the provider and payment.refunded.v1 published", async () => {
		const owner = await shopper();
		const { key: orderId } = await orderCreated(owner.sub, "sandbox_authorize", 2100);
		const payment = await paymentIn(orderId, "AUTHORIZED");
		await orderEnded(TOPIC.orderCancelled, orderId, "CANCELLED_BY_USER");
		const voided = await paymentIn(orderId, "VOIDED");
		expect(voided.reason).toBe("CANCELLED_BY_USER");
		const refund = await announcement(TOPIC.paymentRefunded, orderId);
		expect(refund.payload).toEqual({
			orderId,
			paymentId: payment.paymentId,
			amountCents: 2100,
			currency: "EUR",
			reason: "CANCELLED_BY_USER",
		});
	});

	it("when the authorization comes after the order timed out, then it is voided and never announced as authorized", async () => {
		const owner = await shopper();
		const { key: orderId } = await orderCreated(owner.sub, "sandbox_no_answer");
		const payment = await paymentIn(orderId, "PENDING");
		await orderEnded(TOPIC.orderTimedOut, orderId, "PAYMENT_TIMEOUT");
		await waitFor("the payment to know the order ended", async () =>
			(await paymentOf(orderId))?.reason === "PAYMENT_TIMEOUT" ? true : undefined,
		);
		expect((await paymentOf(orderId))?.status).toBe("PENDING");

		expect((await signed(webhookBody(payment, "payment.authorized"))).status).toBe(200);
		await paymentIn(orderId, "VOIDED");
		expect((await announcement(TOPIC.paymentRefunded, orderId)).payload).toMatchObject({ reason: "PAYMENT_TIMEOUT" });
		await sleep(200);
		expect(announced(TOPIC.paymentAuthorized, orderId)).toHaveLength(0);
	});

	it("when an order is cancelled before payments saw it, then its late order.created makes nothing chargeable", async () => {
		const owner = await shopper();
		const orderId = randomUUID();
		await orderEnded(TOPIC.orderCancelled, orderId, "INSUFFICIENT_STOCK");
		await waitFor("the tombstone", async () => (await paymentOf(orderId)) ?? undefined);
		await orderCreated(owner.sub, "sandbox_authorize", 1500, orderId);
		await waitFor("the order's details on the tombstone", async () =>
			(await paymentOf(orderId))?.userId === owner.sub ? true : undefined,
		);
		await sleep(300);
		expect(await paymentOf(orderId)).toMatchObject({ status: "VOIDED", providerIntentId: null, amountCents: 1500 });
		expect(announced(TOPIC.paymentAuthorized, orderId)).toHaveLength(0);
	});

	it("when the provider is down, then createIntent is retried, dead-lettered (PROVIDER_ERROR), and a requeue after the outage makes it PENDING, then AUTHORIZED", async () => {
		const owner = await shopper();
		const retries = () => metricTotal(broker, "payment_provider_retry_total", { operation: "createIntent" });
		const dlq = () => metricTotal(broker, "payment_provider_dlq_total", { operation: "createIntent" });
		const [retriesBefore, dlqBefore] = [retries(), dlq()];

		expect(
			(await api(base, "POST", "/api/payments/provider/outage-mode?enabled=true", undefined, as(owner.token))).status,
		).toBe(403);
		await setOutage(true);
		expect(await api(base, "GET", "/api/payments/provider/outage-mode", undefined, as(admin))).toMatchObject({
			status: 200,
			body: { enabled: true },
		});
		try {
			const { key: orderId } = await orderCreated(owner.sub, "sandbox_authorize");
			const failed = await paymentIn(orderId, "PROVIDER_ERROR");
			expect(failed).toMatchObject({ reason: "PAYMENT_PROVIDER_ERROR", providerIntentId: null });
			expect(retries() - retriesBefore).toBe(MAX_ATTEMPTS - 1);
			expect(dlq() - dlqBefore).toBe(1);
			const [letter] = await deadLettersOf(failed.paymentId);
			expect(letter).toMatchObject({
				paymentId: failed.paymentId,
				operation: "createIntent",
				attempts: MAX_ATTEMPTS,
				status: "OPEN",
				lastError: expect.stringContaining("outage"),
			});
			const open = await api(base, "GET", "/api/payments/provider/dead-letters?status=OPEN", undefined, as(admin));
			expect(open.body[0].id).toBeGreaterThanOrEqual(letter.id);
			expect(open.body.every((l: { status: string }) => l.status === "OPEN")).toBe(true);

			// Still down: the replay fails and the dead letter is OPEN again.
			const early = await requeue(letter.id);
			expect(early).toMatchObject({
				status: 200,
				body: { requeued: true, resolved: false, status: "PROVIDER_ERROR", deadLetter: { status: "OPEN" } },
			});

			await setOutage(false);
			const requeued = await requeue(letter.id);
			expect(requeued).toMatchObject({
				status: 200,
				body: { requeued: true, resolved: true, status: "PENDING", deadLetter: { status: "RESOLVED" } },
			});
			await paymentIn(orderId, "AUTHORIZED");
			await announcement(TOPIC.paymentAuthorized, orderId);
			expect(
				metricTotal(broker, "payment_provider_requeue_total", { operation: "createIntent" }),
			).toBeGreaterThanOrEqual(2);

			const again = await requeue(letter.id);
			expect(again).toMatchObject({ status: 409, body: { error: { code: "DEAD_LETTER_NOT_OPEN" } } });
			const unknown = await api(
				base,
				"POST",
				"/api/payments/provider/dead-letters/999999999/requeue",
				undefined,
				as(admin),
			);
			expect(unknown).toMatchObject({ status: 404, body: { error: { code: "DEAD_LETTER_NOT_FOUND" } } });
		} finally {
			await setOutage(false);
		}
	});

	it("when the order is confirmed while the provider is down, then the capture is dead-lettered, the confirmation kept, and a requeue captures", async () => {
		const owner = await shopper();
		const { key: orderId } = await orderCreated(owner.sub, "sandbox_authorize");
		const { paymentId } = await paymentIn(orderId, "AUTHORIZED");
		await setOutage(true);
		let letterId: number;
		try {
			await orderConfirmed(orderId, owner.sub, paymentId);
			[{ id: letterId }] = await waitFor("the capture's dead letter", async () => {
				const letters = await deadLettersOf(paymentId);
				return letters.some((l: { operation: string }) => l.operation === "capture") ? letters : undefined;
			});
			// Still authorized (nothing was captured), and the order's confirmation is not lost with the capture.
			expect(await recordOf(orderId)).toMatchObject({ status: "AUTHORIZED", orderState: "CONFIRMED" });
		} finally {
			await setOutage(false);
		}
		const requeued = await requeue(letterId);
		expect(requeued).toMatchObject({ status: 200, body: { resolved: true, status: "CAPTURED" } });
		expect(await recordOf(orderId)).toMatchObject({ status: "CAPTURED", orderState: "CONFIRMED" });
	});

	it("when a webhook names an intent not stored yet, then it is kept and applied once the intent is stored", async () => {
		const owner = await shopper();
		await setOutage(true);
		let orderId: string;
		let letterId: number;
		let paymentId: string;
		try {
			({ key: orderId } = await orderCreated(owner.sub, "sandbox_no_answer"));
			({ paymentId } = await paymentIn(orderId, "PROVIDER_ERROR"));
			[{ id: letterId }] = await deadLettersOf(paymentId);
		} finally {
			await setOutage(false);
		}
		// The provider's authorization overtakes our write of its intent id.
		expect(await signed(webhookBody({ paymentId }, "payment.authorized"))).toEqual({
			status: 200,
			body: { received: true },
		});
		await sleep(200);
		expect((await paymentOf(orderId))?.status).toBe("PROVIDER_ERROR");

		const requeued = await requeue(letterId);
		expect(requeued).toMatchObject({ status: 200, body: { resolved: true, status: "AUTHORIZED" } });
		expect(await paymentOf(orderId)).toMatchObject({
			status: "AUTHORIZED",
			providerIntentId: sandboxIntentIdOf(paymentId),
		});
		await announcement(TOPIC.paymentAuthorized, orderId);
	});

	it("when a client creates an intent for its order, then it gets 201, a retry 200 with the same payment; others 404 and 409", async () => {
		const [owner, stranger] = [await shopper(), await shopper()];
		const orderId = randomUUID();
		const body = { orderId, amountCents: 990, currency: "EUR", paymentMethod: "sandbox_no_answer" };
		const created = await api(base, "POST", "/api/payments/intents", body, as(owner.token));
		expect(created).toMatchObject({
			status: 201,
			body: { orderId, userId: owner.sub, status: "PENDING", amountCents: 990, providerIntentId: expect.any(String) },
		});
		const retry = await api(base, "POST", "/api/payments/intents", body, as(owner.token));
		expect(retry).toMatchObject({ status: 200, body: { paymentId: created.body.paymentId } });

		const theirs = await api(base, "POST", "/api/payments/intents", body, as(stranger.token));
		expect(theirs).toMatchObject({ status: 409, body: { error: { code: "PAYMENT_ORDER_CONFLICT" } } });
		const peek = await api(base, "GET", `/api/payments/${created.body.paymentId}`, undefined, as(stranger.token));
		expect(peek).toMatchObject({ status: 404, body: { error: { code: "PAYMENT_NOT_FOUND" } } });
		expect(peek.body).toMatchObject(ERROR_SHAPE);
		expect((await api(base, "GET", `/api/payments/${randomUUID()}`, undefined, as(owner.token))).status).toBe(404);
		expect((await api(base, "GET", `/api/payments/${created.body.paymentId}`, undefined, as(admin))).status).toBe(200);
		expect((await api(base, "GET", `/api/payments/${created.body.paymentId}`)).status).toBe(401);

		const bitcoin = await api(
			base,
			"POST",
			"/api/payments/intents",
			{ ...body, orderId: randomUUID(), paymentMethod: "bitcoin" },
			as(owner.token),
		);
		expect(bitcoin).toMatchObject({ status: 400, body: { error: { code: "UNSUPPORTED_PAYMENT_METHOD" } } });
		const negative = await api(base, "POST", "/api/payments/intents", { ...body, amountCents: -5 }, as(owner.token));
		expect(negative).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_ERROR" } } });
	});
});
