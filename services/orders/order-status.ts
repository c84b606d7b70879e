/**
 * An order's life, as a pure function: what each saga input does to an order in each status. The
 * service applies a decision in one transaction with its history rows and its outbox event; this
 * file only says what the decision is, so every rule of the saga can be read (and tested) here.
 *
 * PENDING waits for stock and payment. Stock first: RESERVED, then the payment makes it PAID and at
 * once CONFIRMED. Payment first: PAID, then the stock makes it CONFIRMED. Exactly one terminal status
 * is ever reached (CONFIRMED, CANCELLED, TIMED_OUT), and a terminal order never moves again.
 */
export const ORDER_STATUSES = ["PENDING", "RESERVED", "PAID", "CONFIRMED", "CANCELLED", "TIMED_OUT"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const TERMINAL_STATUSES: readonly OrderStatus[] = ["CONFIRMED", "CANCELLED", "TIMED_OUT"];

export function isTerminal(status: OrderStatus): boolean {
	return TERMINAL_STATUSES.includes(status);
}

/** What the saga knows of an order. */
export interface SagaState {
	status: OrderStatus;
	stockReserved: boolean;
	paymentAuthorized: boolean;
}

/** Everything that can move an order. */
export type SagaInput =
	| { kind: "stockReserved" }
	| { kind: "stockFailed"; reason: string }
	| { kind: "paymentAuthorized"; paymentId: string }
	| { kind: "paymentFailed"; paymentId?: string; reason: string }
	| { kind: "cancel"; reason: "CANCELLED_BY_USER" | "CANCELLED_BY_OPERATOR" }
	| { kind: "timeout" }
	/** An operator confirms a PAID order whose stock inventory says it holds (its event was lost). */
	| { kind: "operatorConfirm" };

/** The event an order's end publishes (one per order). */
export type EndEvent = "confirmed" | "cancelled" | "timedOut";

export interface Decision {
	/** The statuses the order passes through, in order (the last is where it stays). */
	steps: Array<{ status: OrderStatus; reason: string | null }>;
	stockReserved: boolean;
	paymentAuthorized: boolean;
	paymentId?: string;
	publish: EndEvent | null;
}

/** The input does not apply to the order as it is: a no-op for an event, a 409 for a person. */
export interface Refusal {
	refused: true;
	status: OrderStatus;
}

export const REASON = {
	paymentTimeout: "PAYMENT_TIMEOUT",
	/** Paid, but inventory never answered within the payment wait: the payment is voided. */
	stockTimeout: "STOCK_TIMEOUT",
	paymentDeclined: "PAYMENT_DECLINED",
	cancelledByUser: "CANCELLED_BY_USER",
	confirmedByOperator: "CONFIRMED_BY_OPERATOR",
} as const;

function refuse(state: SagaState): Refusal {
	return { refused: true, status: state.status };
}

function move(state: SagaState, steps: Decision["steps"], publish: EndEvent | null, extra: Partial<Decision> = {}) {
	return {
		steps,
		stockReserved: state.stockReserved,
		paymentAuthorized: state.paymentAuthorized,
		publish,
		...extra,
	} satisfies Decision;
}

/** What `input` does to an order in `state`. */
export function decide(state: SagaState, input: SagaInput): Decision | Refusal {
	const { status } = state;
	if (isTerminal(status)) return refuse(state);
	switch (input.kind) {
		case "stockReserved":
			if (status === "PENDING")
				return move(state, [{ status: "RESERVED", reason: null }], null, { stockReserved: true });
			if (status === "PAID")
				return move(state, [{ status: "CONFIRMED", reason: null }], "confirmed", { stockReserved: true });
			return refuse(state);
		case "stockFailed":
			return move(state, [{ status: "CANCELLED", reason: input.reason }], "cancelled");
		case "paymentAuthorized": {
			const paid = { paymentAuthorized: true, paymentId: input.paymentId };
			if (status === "PENDING") return move(state, [{ status: "PAID", reason: null }], null, paid);
			if (status === "RESERVED") {
				const steps = [
					{ status: "PAID" as const, reason: null },
					{ status: "CONFIRMED" as const, reason: null },
				];
				return move(state, steps, "confirmed", paid);
			}
			return refuse(state);
		}
		case "paymentFailed":
			// A failure after an authorization would contradict it: the authorization stands.
			if (status === "PAID") return refuse(state);
			return move(state, [{ status: "CANCELLED", reason: input.reason }], "cancelled");
		case "cancel":
			return move(state, [{ status: "CANCELLED", reason: input.reason }], "cancelled");
		case "timeout": {
			const reason = status === "PAID" ? REASON.stockTimeout : REASON.paymentTimeout;
			return move(state, [{ status: "TIMED_OUT", reason }], "timedOut");
		}
		case "operatorConfirm":
			if (status !== "PAID") return refuse(state);
			return move(state, [{ status: "CONFIRMED", reason: REASON.confirmedByOperator }], "confirmed", {
				stockReserved: true,
			});
	}
}

export function isRefusal(outcome: Decision | Refusal): outcome is Refusal {
	return "refused" in outcome;
}
