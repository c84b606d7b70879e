import {
	decideCallOff,
	decideWebhook,
	type OrderState,
	type PaymentStatus,
	WEBHOOK_EVENT_TYPES,
} from "../../services/payments/payment-status";

const FINAL: PaymentStatus[] = ["CAPTURED", "FAILED", "VOIDED"];

describe("what a webhook does to a payment", () => {
	it("when an authorization comes for a waiting payment of an open order, then it authorizes (no capture yet)", () => {
		for (const status of ["CREATED", "PENDING"] as const) {
			expect(decideWebhook({ status, orderState: "OPEN" }, "payment.authorized")).toEqual({
				kind: "authorize",
				captureNow: false,
			});
		}
	});

	it("when the order was confirmed before the authorization came, then it authorizes and captures at once", () => {
		expect(decideWebhook({ status: "PENDING", orderState: "CONFIRMED" }, "payment.authorized")).toEqual({
			kind: "authorize",
			captureNow: true,
		});
	});

	it("when the order was called off before the authorization came, then the authorization is voided", () => {
		expect(decideWebhook({ status: "PENDING", orderState: "CALLED_OFF" }, "payment.authorized")).toEqual({
			kind: "void-late-authorization",
		});
	});

	it("when a decline comes, then the payment fails, announced only while the order waits for it", () => {
		expect(decideWebhook({ status: "PENDING", orderState: "OPEN" }, "payment.failed")).toEqual({
			kind: "fail",
			announce: true,
		});
		expect(decideWebhook({ status: "PENDING", orderState: "CALLED_OFF" }, "payment.failed")).toEqual({
			kind: "fail",
			announce: false,
		});
	});

	it("when a payment is past what the event says, then the event is ignored (never backwards, never twice)", () => {
		const orderStates: OrderState[] = ["OPEN", "CONFIRMED", "CALLED_OFF"];
		for (const orderState of orderStates) {
			for (const status of FINAL) {
				for (const event of WEBHOOK_EVENT_TYPES) {
					expect([status, event, decideWebhook({ status, orderState }, event)]).toEqual([
						status,
						event,
						{ kind: "ignore" },
					]);
				}
			}
			expect(decideWebhook({ status: "AUTHORIZED", orderState }, "payment.authorized")).toEqual({ kind: "ignore" });
			expect(decideWebhook({ status: "AUTHORIZED", orderState }, "payment.failed")).toEqual({ kind: "ignore" });
			expect(decideWebhook({ status: "PENDING", orderState }, "payment.captured")).toEqual({ kind: "ignore" });
		}
	});

	it("when the provider reports a capture or a void of an authorized payment, then it is applied", () => {
		expect(decideWebhook({ status: "AUTHORIZED", orderState: "CONFIRMED" }, "payment.captured")).toEqual({
			kind: "captured",
		});
		expect(decideWebhook({ status: "AUTHORIZED", orderState: "CALLED_OFF" }, "payment.voided")).toEqual({
			kind: "voided",
			wasAuthorized: true,
			announceFailure: false,
		});
	});
});

describe("what the order's end does to its payment", () => {
	it("when the order ends, then an authorized payment is voided now, a waiting one marked, a second end ignored", () => {
		expect(decideCallOff({ status: "AUTHORIZED", orderState: "OPEN" })).toEqual({ kind: "void" });
		expect(decideCallOff({ status: "PENDING", orderState: "OPEN" })).toEqual({ kind: "mark" });
		expect(decideCallOff({ status: "CREATED", orderState: "OPEN" })).toEqual({ kind: "mark" });
		expect(decideCallOff({ status: "PROVIDER_ERROR", orderState: "OPEN" })).toEqual({ kind: "mark" });
		expect(decideCallOff({ status: "AUTHORIZED", orderState: "CALLED_OFF" })).toEqual({ kind: "none" });
	});
});
