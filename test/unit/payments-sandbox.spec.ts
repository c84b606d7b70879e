import {
	deliveryPlan,
	isSandboxMethod,
	SANDBOX_METHODS,
	sandboxIntentIdOf,
	sandboxOutcomeOf,
} from "../../services/payments/sandbox-provider";

/** A random source that returns `values` in turn. */
function sequence(...values: number[]): () => number {
	let i = 0;
	return () => values[i++ % values.length] as number;
}

describe("the sandbox provider's choices", () => {
	it("when the method is one of the sandbox's, then it decides the webhook: authorized, failed or none", () => {
		expect(SANDBOX_METHODS).toEqual(["sandbox_authorize", "sandbox_decline", "sandbox_no_answer"]);
		expect(sandboxOutcomeOf("sandbox_authorize")).toEqual({ event: "payment.authorized" });
		expect(sandboxOutcomeOf("sandbox_decline")).toEqual({ event: "payment.failed", reason: "card_declined" });
		expect(sandboxOutcomeOf("sandbox_no_answer")).toEqual({ event: null });
	});

	it.each(["bitcoin", "", "SANDBOX_AUTHORIZE", "sandbox_authorize "])(
		"when the method is %p, then the sandbox does not know it",
		(method) => {
			expect(sandboxOutcomeOf(method)).toBeUndefined();
			expect(isSandboxMethod(method)).toBe(false);
		},
	);

	it("when one reference asks for an intent twice, then it gets the same intent id; another reference another", () => {
		const id = sandboxIntentIdOf("3f1c2e0a-0000-4000-8000-000000000001");
		expect(id).toMatch(/^pi_sbx_[0-9a-f]{24}$/);
		expect(sandboxIntentIdOf("3f1c2e0a-0000-4000-8000-000000000001")).toBe(id);
		expect(sandboxIntentIdOf("3f1c2e0a-0000-4000-8000-000000000002")).not.toBe(id);
	});

	it("when misbehaviour is off, then each webhook is delivered once after the configured delay", () => {
		const settings = { webhookDelayMs: 50, duplicateRate: 0, reorderRate: 0 };
		expect(deliveryPlan(settings, sequence(0.3, 0.7))).toEqual({ delaysMs: [50] });
	});

	it("when the duplicate draw falls under the rate, then the webhook is delivered twice, the copy after the original", () => {
		const settings = { webhookDelayMs: 50, duplicateRate: 0.2, reorderRate: 0 };
		const plan = deliveryPlan(settings, sequence(0.9, 0.1, 0.5));
		expect(plan.delaysMs).toHaveLength(2);
		expect(plan.delaysMs[0]).toBe(50);
		expect(plan.delaysMs[1]).toBeGreaterThan(50);
	});

	it("when the reorder draw falls under the rate, then the webhook is held back long enough to arrive after a later one", () => {
		const settings = { webhookDelayMs: 50, duplicateRate: 0, reorderRate: 0.5 };
		const [late] = deliveryPlan(settings, sequence(0.1, 0.0, 0.9)).delaysMs;
		// A webhook sent right after this one arrives after webhookDelayMs; this one later than that.
		expect(late).toBeGreaterThan(50 + 10);
	});
});
