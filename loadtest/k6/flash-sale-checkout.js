/**
 * flash-sale-checkout: VUS shoppers race for UNITS units of one new SKU through checkout, REQUESTS orders in all
 * (`POST /api/orders`, paid by the sandbox); some send their order again with the same Idempotency-Key, which must
 * answer the same order. Each VU follows its order until the saga ends it. Gates: nothing oversold, no order made
 * twice, no 5xx, the order POST fast. The stock is read at the end: it must hold nothing reserved and at most UNITS
 * confirmed.
 *
 *   k6 run -e OPERATOR_TOKEN=... loadtest/k6/flash-sale-checkout.js
 */
import { check, fail, sleep } from "k6";
import exec from "k6/execution";
import http from "k6/http";
import { Counter } from "k6/metrics";
import {
	bodyOf,
	caller,
	ensureProducts,
	envDuration,
	envInt,
	envShare,
	newRunId,
	operatorToken,
	placeOrder,
	requireThresholds,
	setStock,
	signUpShoppers,
	uuidv4,
} from "./lib.js";

const SUITE = "flash-sale-checkout";
const GATES = JSON.parse(open("../gates.json"));
const THRESHOLDS = requireThresholds(GATES[SUITE][__ENV.GATE_PROFILE || "full"], SUITE);

const UNITS = envInt("UNITS", 500);
const USERS = envInt("USERS", 200);
const VUS = envInt("VUS", 200);
const REQUESTS = envInt("REQUESTS", 5000);
const RETRY_SHARE = envShare("RETRY_SHARE", 0.05);
const TERMINAL = ["CONFIRMED", "CANCELLED", "TIMED_OUT"];
const POLL_LIMIT_MS = 180000;

const oversold = new Counter("oversold");
const doubleReservations = new Counter("double_reservations");
/** As in flash-sale.js: only the Node runner sums CONFIRMED orders against the stock; here it stays 0. */
const unbackedSuccesses = new Counter("unbacked_successes");
const serverErrors = new Counter("server_errors");

export const options = {
	scenarios: {
		[SUITE]: {
			executor: "shared-iterations",
			vus: VUS,
			iterations: REQUESTS,
			maxDuration: envDuration("MAX_DURATION", "15m"),
		},
	},
	setupTimeout: "5m",
	teardownTimeout: "5m",
	thresholds: THRESHOLDS,
};

http.setResponseCallback(http.expectedStatuses(200, 201));

export function setup() {
	const runId = newRunId();
	const operator = operatorToken();
	const sku = `FLASH-CHK-${runId}`;
	ensureProducts(operator, [
		{ sku: sku, name: `Flash sale ${runId}`, category: "load-flash", priceCents: 1999, currency: "EUR" },
	]);
	setStock(operator, sku, UNITS);
	return { operator: operator, sku: sku, tokens: signUpShoppers(runId, USERS) };
}

function orderIdOf(res) {
	const body = res.status === 200 || res.status === 201 ? bodyOf(res) : null;
	return body ? body.orderId : undefined;
}

export default function (data) {
	if (exec.vu.iterationInScenario === 0) {
		for (const counter of [oversold, doubleReservations, unbackedSuccesses, serverErrors]) counter.add(0);
	}
	const token = data.tokens[exec.scenario.iterationInTest % data.tokens.length];
	const api = caller(SUITE, token, serverErrors);
	const order = { items: [{ sku: data.sku, quantity: 1 }], paymentMethod: "sandbox_authorize" };
	const idempotencyKey = uuidv4();
	const key = { headers: { "Idempotency-Key": idempotencyKey } };
	const placed = placeOrder(api, "place_order", order, idempotencyKey);
	const orderId = orderIdOf(placed);
	if (!check(placed, { "flash-sale-checkout place_order: 201": (r) => r.status === 201 && Boolean(orderId) })) return;

	if (Math.random() < RETRY_SHARE) {
		const again = api.post("retry", "/api/orders", order, key);
		if (orderIdOf(again) !== orderId) doubleReservations.add(1);
		check(again, { "flash-sale-checkout retry: the same order": (r) => r.status === 200 && orderIdOf(r) === orderId });
	}

	const path = `/api/orders/${orderId}`;
	const deadline = Date.now() + POLL_LIMIT_MS;
	let status;
	do {
		sleep(0.5);
		const res = api.get("poll", path, { name: "/api/orders/{orderId}" });
		status = res.status === 200 ? bodyOf(res).status : undefined;
	} while (TERMINAL.indexOf(status) < 0 && Date.now() < deadline);
	check(status, { "flash-sale-checkout: the order ended": (s) => TERMINAL.indexOf(s) >= 0 });
}

/** Oversold is known only from the stock; not every k6 version counts teardown metrics, so it also fails the run. */
export function teardown(data) {
	const res = caller(SUITE, data.operator).get("stock", `/api/inventory/stock/${data.sku}`, {
		name: "/api/inventory/stock/{sku}",
	});
	const stock = res.status === 200 ? bodyOf(res) : null;
	if (!stock) fail(`reading the stock of ${data.sku} failed: ${res.status}`);
	const over = Math.max(0, stock.reserved + stock.confirmed - UNITS);
	oversold.add(over);
	if (over > 0) fail(`oversold: ${stock.reserved + stock.confirmed} units of ${data.sku} held, ${UNITS} were for sale`);
	if (stock.reserved > 0) fail(`${stock.reserved} units of ${data.sku} still reserved after every order ended`);
}
