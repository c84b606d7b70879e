import fc from "fast-check";
import {
	type Decision,
	decide,
	isRefusal,
	isTerminal,
	type OrderStatus,
	type SagaInput,
	type SagaState,
} from "../../services/orders/order-status";

const PENDING: SagaState = { status: "PENDING", stockReserved: false, paymentAuthorized: false };

/** Applies inputs in turn, as the coordinator does; refusals change nothing. */
function run(inputs: SagaInput[]): { state: SagaState; ends: string[]; path: OrderStatus[] } {
	let state = PENDING;
	const ends: string[] = [];
	const path: OrderStatus[] = ["PENDING"];
	for (const input of inputs) {
		const d = decide(state, input);
		if (isRefusal(d)) continue;
		const last = d.steps[d.steps.length - 1] as Decision["steps"][number];
		path.push(...d.steps.map((s) => s.status));
		if (d.publish) ends.push(d.publish);
		state = { status: last.status, stockReserved: d.stockReserved, paymentAuthorized: d.paymentAuthorized };
	}
	return { state, ends, path };
}

const stock: SagaInput = { kind: "stockReserved" };
const paid: SagaInput = { kind: "paymentAuthorized", paymentId: "p-1" };

describe("the order's state machine", () => {
	it("when stock then payment arrive, then it goes RESERVED, PAID, CONFIRMED and publishes one confirmation", () => {
		expect(run([stock, paid])).toEqual({
			state: { status: "CONFIRMED", stockReserved: true, paymentAuthorized: true },
			ends: ["confirmed"],
			path: ["PENDING", "RESERVED", "PAID", "CONFIRMED"],
		});
	});

	it("when the payment overtakes the stock, then it goes PAID, then CONFIRMED once the stock is held", () => {
		expect(run([paid, stock]).path).toEqual(["PENDING", "PAID", "CONFIRMED"]);
	});

	it("when stock fails after the payment, then it is CANCELLED with the stock's reason (payments voids)", () => {
		const { state, ends } = run([paid, { kind: "stockFailed", reason: "INSUFFICIENT_STOCK" }]);
		expect(state.status).toBe("CANCELLED");
		expect(ends).toEqual(["cancelled"]);
	});

	it("when a PAID order times out, then the reason says it waited for stock, not for payment", () => {
		const d = decide({ status: "PAID", stockReserved: false, paymentAuthorized: true }, { kind: "timeout" });
		expect(isRefusal(d) ? null : d.steps).toEqual([{ status: "TIMED_OUT", reason: "STOCK_TIMEOUT" }]);
		const r = decide({ status: "RESERVED", stockReserved: true, paymentAuthorized: false }, { kind: "timeout" });
		expect(isRefusal(r) ? null : r.steps).toEqual([{ status: "TIMED_OUT", reason: "PAYMENT_TIMEOUT" }]);
	});

	it("when an operator confirms an order that is not PAID, then it is refused", () => {
		expect(isRefusal(decide({ ...PENDING, status: "RESERVED" }, { kind: "operatorConfirm" }))).toBe(true);
	});

	it("when inputs arrive in any order and any number of times, then at most one end is published and a terminal status never moves", () => {
		const input = fc.constantFrom<SagaInput>(
			stock,
			paid,
			{ kind: "stockFailed", reason: "INSUFFICIENT_STOCK" },
			{ kind: "paymentFailed", reason: "PAYMENT_DECLINED" },
			{ kind: "cancel", reason: "CANCELLED_BY_USER" },
			{ kind: "timeout" },
			{ kind: "operatorConfirm" },
		);
		fc.assert(
			fc.property(fc.array(input, { maxLength: 12 }), (inputs) => {
				const { state, ends, path } = run(inputs);
				expect(ends.length).toBeLessThanOrEqual(1);
				expect(isTerminal(state.status)).toBe(ends.length === 1);
				const firstTerminal = path.findIndex((s) => isTerminal(s));
				if (firstTerminal >= 0) expect(path.length).toBe(firstTerminal + 1);
				// CONFIRMED needs both the stock and the payment.
				if (state.status === "CONFIRMED") expect(state.stockReserved && state.paymentAuthorized).toBe(true);
			}),
		);
	});
});
