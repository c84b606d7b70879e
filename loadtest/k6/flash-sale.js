/**
 * flash-sale: VUS shoppers race for UNITS units of one new SKU, REQUESTS reserves in all. Gates: nothing oversold,
 * no order reserved twice, no 5xx, and sold-out answers fast (see k6Thresholds in lib.js for how k6 measures those).
 *
 *   k6 run -e OPERATOR_TOKEN=... loadtest/k6/flash-sale.js
 */
import { check, fail } from "k6";
import exec from "k6/execution";
import http from "k6/http";
import { Counter, Trend } from "k6/metrics";
import {
	bodyOf,
	caller,
	ensureProducts,
	envDuration,
	envInt,
	envShare,
	errorCodeOf,
	k6Thresholds,
	newRunId,
	operatorToken,
	requireThresholds,
	setStock,
	signUpShoppers,
} from "./lib.js";

const SUITE = "flash-sale";
const GATES = JSON.parse(open("../gates.json"));
const THRESHOLDS = requireThresholds(GATES[SUITE][__ENV.GATE_PROFILE || "full"], SUITE);

const UNITS = envInt("UNITS", 5000);
const USERS = envInt("USERS", 200);
const VUS = envInt("VUS", 200);
const REQUESTS = envInt("REQUESTS", 50000);
const RETRY_SHARE = envShare("RETRY_SHARE", 0.05);
const RELEASE_SHARE = envShare("RELEASE_SHARE", 0.02);

const oversold = new Counter("oversold");
const doubleReservations = new Counter("double_reservations");
/**
 * A success the stock does not back needs every VU's successes summed against the stock at the end; k6 VUs share
 * nothing, so only the Node runner counts it. Here it stays 0, with a sample so that its gate is evaluated.
 */
const unbackedSuccesses = new Counter("unbacked_successes");
const serverErrors = new Counter("server_errors");
const soldOutDuration = new Trend("sold_out_duration", true);

export const options = {
	scenarios: {
		[SUITE]: {
			executor: "shared-iterations",
			vus: VUS,
			iterations: REQUESTS,
			maxDuration: envDuration("MAX_DURATION", "10m"),
		},
	},
	setupTimeout: "5m",
	thresholds: k6Thresholds(THRESHOLDS),
};

// Sold out (409) and a full mailbox (429) are the shop answering as designed, not failed requests.
http.setResponseCallback(http.expectedStatuses(200, 409, 429));

export function setup() {
	const runId = newRunId();
	const operator = operatorToken();
	const sku = `FLASH-${runId}`;
	ensureProducts(operator, [
		{ sku: sku, name: `Flash sale ${runId}`, category: "load-flash", priceCents: 1999, currency: "EUR" },
	]);
	setStock(operator, sku, UNITS);
	return { runId: runId, operator: operator, sku: sku, tokens: signUpShoppers(runId, USERS) };
}

function reservationIdOf(res) {
	const body = res.status === 200 ? bodyOf(res) : null;
	return body ? body.reservationId : undefined;
}

/** Checks a reserve's answer and times it when it is a sold-out refusal. */
function judgeReserve(res, step) {
	const soldOut = res.status === 409 && errorCodeOf(res) === "INSUFFICIENT_STOCK";
	if (soldOut) soldOutDuration.add(res.timings.duration);
	check(res, {
		[`flash-sale ${step}: RESERVED, sold out or queue full`]: (r) => r.status === 200 || soldOut || r.status === 429,
	});
}

export default function (data) {
	if (exec.vu.iterationInScenario === 0) {
		// Counters gated on staying zero get one sample each, so the gate has data even when nothing goes wrong.
		for (const counter of [oversold, doubleReservations, unbackedSuccesses, serverErrors]) counter.add(0);
	}
	const token = data.tokens[exec.scenario.iterationInTest % data.tokens.length];
	const api = caller(SUITE, token, serverErrors);
	const reserve = {
		orderId: `fs-${data.runId}-${exec.vu.idInTest}-${exec.vu.iterationInScenario}`,
		sku: data.sku,
		quantity: 1,
	};
	const first = api.post("reserve", "/api/inventory/reserve", reserve);
	judgeReserve(first, "reserve");
	let reservationId = reservationIdOf(first);

	if (Math.random() < RETRY_SHARE) {
		// A client that lost the answer sends the same order again: it must get the reservation it already has.
		const retry = api.post("retry", "/api/inventory/reserve", reserve);
		judgeReserve(retry, "retry");
		const retryId = reservationIdOf(retry);
		if (reservationId !== undefined && retryId !== undefined && retryId !== reservationId) doubleReservations.add(1);
		if (reservationId !== undefined) {
			check(retry, { "flash-sale retry: the original reservation": () => retryId === reservationId });
		}
		if (reservationId === undefined) reservationId = retryId;
	}

	if (reservationId !== undefined && Math.random() < RELEASE_SHARE) {
		const released = api.post("release", "/api/inventory/release", { orderId: reserve.orderId, sku: data.sku });
		check(released, { "flash-sale release: RELEASED": (r) => r.status === 200 && bodyOf(r)?.status === "RELEASED" });
	}
}

/**
 * Oversold is known only at the end, from the stock itself. Not every k6 version counts metrics added in teardown
 * toward thresholds, so a teardown that finds units oversold also fails the run itself.
 */
export function teardown(data) {
	const res = caller(SUITE, data.operator).get("stock", `/api/inventory/stock/${data.sku}`, {
		name: "/api/inventory/stock/{sku}",
	});
	const stock = res.status === 200 ? bodyOf(res) : null;
	if (!stock) fail(`reading the stock of ${data.sku} failed: ${res.status}`);
	const sold = stock.reserved + stock.confirmed;
	const over = Math.max(0, sold - UNITS);
	oversold.add(over);
	if (over > 0) {
		fail(
			`oversold: ${sold} units of ${data.sku} reserved or confirmed, only ${UNITS} were for sale (${over} too many)`,
		);
	}
}
