/**
 * Shared by the k6 suites: where the shop is, how to call it, who calls it (operator and shoppers), the catalogs the
 * suites need, and the three shopper flows (browse, cart, checkout) that both their own suite and the baseline run.
 * The flows live here, not in their suite scripts, because a k6 script that imports another suite script would also
 * import that suite's options. The Node runner (`npm run load -- <suite>`) runs the same flows with the same gates.
 */
import { check, fail, sleep } from "k6";
import crypto from "k6/crypto";
import exec from "k6/execution";
import http from "k6/http";

export const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:3000").replace(/\/+$/, "");

/** One password for every load shopper: 8..128 characters, as signup wants. */
export const SHOPPER_PASSWORD = "load-test-password";

const API_HEADERS = { "X-API-Version": "v1", "Content-Type": "application/json" };

/** Setup's calls go out this many at a time: signup hashes with scrypt, so one by one would take minutes. */
const SETUP_PARALLEL = 20;

const TERMINAL_ORDER_STATUSES = ["CONFIRMED", "CANCELLED", "TIMED_OUT"];
const ORDER_POLL_INTERVAL_S = 0.25;
const ORDER_POLL_LIMIT_MS = 30000;

// --- configuration -------------------------------------------------------------------------------------------------

/** A positive integer from the environment; a typo fails the run at init instead of running a different test. */
export function envInt(name, fallback) {
	const raw = __ENV[name];
	if (raw === undefined || raw === "") return fallback;
	const value = Number(raw);
	if (!Number.isInteger(value) || value < 1) fail(`${name} must be a positive integer, got "${raw}"`);
	return value;
}

/** A probability 0..1 from the environment. */
export function envShare(name, fallback) {
	const raw = __ENV[name];
	if (raw === undefined || raw === "") return fallback;
	const value = Number(raw);
	if (!(value >= 0 && value <= 1)) fail(`${name} must be a number from 0 to 1, got "${raw}"`);
	return value;
}

/** A k6 duration ("60s", "5m") from the environment. */
export function envDuration(name, fallback) {
	const raw = __ENV[name];
	if (raw === undefined || raw === "") return fallback;
	if (!/^\d+(ms|s|m|h)$/.test(raw)) fail(`${name} must be a duration like 60s or 5m, got "${raw}"`);
	return raw;
}

/**
 * Names of users, SKUs and order ids carry it so that runs against one shop never collide. Call it in setup() and
 * pass it on: init code runs once per VU, so a clock-based id made there would differ between VUs.
 */
export function newRunId() {
	const runId = __ENV.RUN_ID || Date.now().toString(36);
	if (!/^[A-Za-z0-9-]{1,20}$/.test(runId)) fail(`RUN_ID must be 1..20 of [A-Za-z0-9-], got "${runId}"`);
	return runId;
}

/** The suite's gates of the chosen profile; an unknown GATE_PROFILE would otherwise run with no gates at all. */
export function requireThresholds(thresholds, suite) {
	if (!thresholds) fail(`gates.json has no profile "${__ENV.GATE_PROFILE}" for suite ${suite}`);
	return thresholds;
}

/**
 * gates.json in the form k6 accepts. The one gate k6 cannot express as written: `http_req_duration{outcome:sold_out}`
 * (the Node runner tags a reserve by its answer, but k6 fixes a request's tags before sending it). flash-sale.js
 * records the duration of every sold-out answer into the Trend `sold_out_duration` instead, and this moves that
 * gate's thresholds onto it. Every other key passes unchanged.
 */
export function k6Thresholds(thresholds) {
	const mapped = {};
	for (const key of Object.keys(thresholds)) {
		mapped[key === "http_req_duration{outcome:sold_out}" ? "sold_out_duration" : key] = thresholds[key];
	}
	return mapped;
}

// --- calling the shop ----------------------------------------------------------------------------------------------

function headersFor(token, extra) {
	const headers = Object.assign({}, API_HEADERS, extra || {});
	if (token) headers.Authorization = `Bearer ${token}`;
	return headers;
}

/** The parsed JSON body, or null: an error page or a dropped connection must not throw inside a VU. */
export function bodyOf(res) {
	try {
		return res.json();
	} catch (_) {
		return null;
	}
}

/** The `code` of a standard error answer. */
export function errorCodeOf(res) {
	const body = bodyOf(res);
	return body?.error?.code;
}

/**
 * Requests of one flow in one identity. Every request is tagged with its flow and step, so that gates like
 * `http_req_duration{flow:browse}` select it; `name` groups URLs that carry ids into one series. Every 5xx adds 1 to
 * `serverErrors` when the suite gates on it.
 */
export function caller(flow, token, serverErrors) {
	function send(method, step, path, body, options) {
		const opts = options || {};
		const tags = { flow: flow, step: step };
		if (opts.name) tags.name = opts.name;
		const payload = body === undefined ? null : JSON.stringify(body);
		const params = { headers: headersFor(token, opts.headers), tags: tags };
		if (opts.expected) params.responseCallback = http.expectedStatuses(...opts.expected);
		const res = http.request(method, BASE_URL + path, payload, params);
		if (serverErrors && res.status >= 500 && !isCheckoutBusy(res)) serverErrors.add(1);
		return res;
	}
	return {
		get: (step, path, options) => send("GET", step, path, undefined, options),
		post: (step, path, body, options) => send("POST", step, path, body, options),
		del: (step, path, options) => send("DELETE", step, path, undefined, options),
	};
}

/**
 * A setup request: tagged `flow: setup` so no flow's gate sees it, and judged by its own expected statuses (a 409
 * SKU_TAKEN on a second run is fine) so the suite's `http_req_failed` counts only the flows.
 */
function setupRequest(method, step, path, body, token, expected) {
	return [
		method,
		BASE_URL + path,
		body === undefined ? null : JSON.stringify(body),
		{
			headers: headersFor(token),
			tags: { flow: "setup", step: step },
			responseCallback: http.expectedStatuses(...expected),
		},
	];
}

function sendSetupRequest(method, step, path, body, token, expected) {
	const request = setupRequest(method, step, path, body, token, expected);
	return http.request(request[0], request[1], request[2], request[3]);
}

function inBatches(requests) {
	let responses = [];
	for (let start = 0; start < requests.length; start += SETUP_PARALLEL) {
		responses = responses.concat(http.batch(requests.slice(start, start + SETUP_PARALLEL)));
	}
	return responses;
}

function summarize(res) {
	return `${res.status} ${String(res.body || res.error || "").slice(0, 300)}`;
}

// --- identities ----------------------------------------------------------------------------------------------------

function accessTokenOf(res, what) {
	if (res.status === 429) {
		fail(`${what} was rate limited (429): start the shop with RATE_LIMIT_AUTH=0, setup signs up many shoppers`);
	}
	const body = bodyOf(res);
	if (!body?.accessToken) fail(`${what} gave no access token: ${summarize(res)}`);
	return body.accessToken;
}

function logIn(email, password) {
	const res = sendSetupRequest("POST", "login", "/api/auth/login", { email, password }, null, [200]);
	return accessTokenOf(res, `login of ${email}`);
}

/** OPERATOR_TOKEN (`npm run -s token -- --sub ops --role admin`), or a login with ADMIN_EMAIL / ADMIN_PASSWORD. */
export function operatorToken() {
	if (__ENV.OPERATOR_TOKEN) return __ENV.OPERATOR_TOKEN;
	if (__ENV.ADMIN_EMAIL && __ENV.ADMIN_PASSWORD) return logIn(__ENV.ADMIN_EMAIL, __ENV.ADMIN_PASSWORD);
	return fail("set OPERATOR_TOKEN (npm run -s token -- --sub ops --role admin), or ADMIN_EMAIL and ADMIN_PASSWORD");
}

/**
 * Access tokens of `count` new shoppers `load-<run>[-<label>]-<i>@load.test`. An account that exists already (the
 * same RUN_ID again) is logged in instead.
 */
export function signUpShoppers(runId, count, label) {
	const emails = [];
	for (let i = 0; i < count; i++) emails.push(`load-${runId}-${label ? `${label}-` : ""}${i}@load.test`);
	const responses = inBatches(
		emails.map((email) =>
			setupRequest("POST", "signup", "/api/auth/signup", { email, password: SHOPPER_PASSWORD }, null, [201, 409]),
		),
	);
	return responses.map((res, i) =>
		res.status === 409 ? logIn(emails[i], SHOPPER_PASSWORD) : accessTokenOf(res, `signup of ${emails[i]}`),
	);
}

/** This VU's own shopper: VU ids run 1..(all VUs of the test), and setup signed up one shopper per VU. */
export function ownShopper(tokens) {
	const index = exec.vu.idInTest - 1;
	if (index >= tokens.length) fail(`VU ${exec.vu.idInTest} has no shopper: setup signed up ${tokens.length}`);
	return { index: index, token: tokens[index] };
}

// --- catalogs ------------------------------------------------------------------------------------------------------

const ADJECTIVES = ["amber", "brisk", "calm", "dusty", "eager", "fuzzy", "golden", "hollow", "ivory", "jolly"];
const NOUNS = [
	"anchor",
	"basket",
	"candle",
	"drum",
	"easel",
	"flask",
	"globe",
	"hammock",
	"kettle",
	"lantern",
	"mirror",
	"notebook",
	"pillow",
	"quilt",
	"rucksack",
	"saddle",
	"teapot",
	"umbrella",
	"vase",
	"wallet",
];

/** The words product names are made of: what the browse flow searches for. */
export const SEARCH_WORDS = ADJECTIVES.concat(NOUNS);

export const CATALOG_SIZE = 200;
export const CATALOG_CATEGORIES = ["a", "b", "c", "d", "e", "f", "g", "h"].map((letter) => `load-${letter}`);

/** The browse catalog `LOAD-000`..`LOAD-199`: ten adjectives times twenty nouns make every name different. */
export function catalogProduct(i) {
	const adjective = ADJECTIVES[i % ADJECTIVES.length];
	const noun = NOUNS[Math.floor(i / ADJECTIVES.length) % NOUNS.length];
	return {
		sku: `LOAD-${String(i).padStart(3, "0")}`,
		name: `Load ${adjective} ${noun} ${i}`,
		category: CATALOG_CATEGORIES[i % CATALOG_CATEGORIES.length],
		priceCents: 500 + i * 37,
		currency: "EUR",
	};
}

export const CHECKOUT_SKU_COUNT = 10;

function checkoutProduct(n) {
	return {
		sku: `LOAD-CHK-${n}`,
		name: `Load checkout item ${n}`,
		category: "load-checkout",
		priceCents: 1000 + n * 100,
		currency: "EUR",
	};
}

function productIdBySku(sku) {
	const path = `/api/products?q=${encodeURIComponent(sku)}&size=100`;
	const res = sendSetupRequest("GET", "find_product", path, undefined, null, [200]);
	const page = bodyOf(res);
	const items = page && Array.isArray(page.items) ? page.items : [];
	const found = items.filter((item) => item.sku === sku)[0];
	if (!found) fail(`product ${sku} exists (SKU_TAKEN) but is not listed: inactive? ${summarize(res)}`);
	return found.id;
}

/** Creates the products that do not exist yet and returns every product's id, in the order given. */
export function ensureProducts(operator, products) {
	const responses = inBatches(
		products.map((product) => setupRequest("POST", "create_product", "/api/products", product, operator, [201, 409])),
	);
	return responses.map((res, i) => {
		if (res.status === 201) return bodyOf(res).id;
		if (res.status === 409 && errorCodeOf(res) === "SKU_TAKEN") return productIdBySku(products[i].sku);
		return fail(`creating product ${products[i].sku} failed: ${summarize(res)}`);
	});
}

/** Sets how many units of `sku` are free (creates the SKU's stock). */
export function setStock(operator, sku, available) {
	const res = sendSetupRequest("POST", "set_stock", "/api/inventory/stock", { sku, available }, operator, [200]);
	if (res.status !== 200) fail(`setting the stock of ${sku} failed: ${summarize(res)}`);
}

/** The browse catalog's product ids, index i for `LOAD-<i>`. */
export function ensureBrowseCatalog(operator) {
	const products = [];
	for (let i = 0; i < CATALOG_SIZE; i++) products.push(catalogProduct(i));
	return ensureProducts(operator, products);
}

/** `LOAD-CHK-0`..`LOAD-CHK-9`, each with a million units free so that checkout never runs out. */
export function ensureCheckoutProducts(operator) {
	const products = [];
	for (let n = 0; n < CHECKOUT_SKU_COUNT; n++) products.push(checkoutProduct(n));
	ensureProducts(operator, products);
	for (const product of products) setStock(operator, product.sku, 1000000);
}

/** Two different catalog products per shopper, so that shoppers' carts spread over the catalog. */
export function productPair(productIds, shopperIndex) {
	const first = (shopperIndex * 2) % productIds.length;
	return [productIds[first], productIds[(first + 1) % productIds.length]];
}

// --- flows ---------------------------------------------------------------------------------------------------------

function pick(list) {
	return list[Math.floor(Math.random() * list.length)];
}

/** An anonymous shopper looks through the catalog. No think time: each VU asks again as soon as it is answered. */
export function browseFlow(serverErrors) {
	const api = caller("browse", null, serverErrors);
	const page = 1 + Math.floor(Math.random() * 5);
	const list = api.get("list", `/api/products?page=${page}&size=20`, { name: "/api/products?page={page}&size=20" });
	check(list, { "browse list: 200": (r) => r.status === 200 });
	const category = pick(CATALOG_CATEGORIES);
	const inCategory = api.get("category", `/api/products?category=${category}&size=20`, {
		name: "/api/products?category={category}&size=20",
	});
	check(inCategory, { "browse category: 200": (r) => r.status === 200 });
	const found = api.get("search", `/api/products?q=${pick(SEARCH_WORDS)}`, { name: "/api/products?q={word}" });
	check(found, { "browse search: 200": (r) => r.status === 200 });
	const listed = bodyOf(list);
	const items = listed && Array.isArray(listed.items) ? listed.items : [];
	if (items.length > 0) {
		const product = api.get("product", `/api/products/${pick(items).id}`, { name: "/api/products/{id}" });
		check(product, { "browse product: 200": (r) => r.status === 200 });
	}
	sleep(0);
}

/** The cart answer holds exactly these quantities by product id, nothing more. */
function cartHolds(res, expected) {
	const cart = res.status === 200 ? bodyOf(res) : null;
	if (!cart || !Array.isArray(cart.items)) return false;
	const ids = Object.keys(expected);
	return cart.items.length === ids.length && cart.items.every((item) => expected[item.productId] === item.quantity);
}

/** A signed-in shopper fills and empties their own cart; every view must show exactly what was put in. */
export function cartFlow(token, productA, productB, metrics) {
	const api = caller("cart", token, metrics.serverErrors);
	check(api.del("clear", "/api/cart"), { "cart clear: 204": (r) => r.status === 204 });
	const addA = api.post("add", "/api/cart/items", { productId: productA, quantity: 1 });
	check(addA, { "cart add: 200": (r) => r.status === 200 });
	const addB = api.post("add", "/api/cart/items", { productId: productB, quantity: 2 });
	check(addB, { "cart add: 200": (r) => r.status === 200 });
	const full = { [productA]: 1, [productB]: 2 };
	metrics.cartConsistency.add(cartHolds(api.get("view", "/api/cart"), full));
	const removed = api.del("remove", `/api/cart/items/${productA}`, { name: "/api/cart/items/{productId}" });
	check(removed, { "cart remove: 200": (r) => r.status === 200 });
	metrics.cartConsistency.add(cartHolds(api.get("view", "/api/cart"), { [productB]: 2 }));
}

/** A random version 4 UUID, for Idempotency-Key. */
export function uuidv4() {
	const bytes = new Uint8Array(crypto.randomBytes(16));
	bytes[6] = (bytes[6] & 0x0f) | 0x40;
	bytes[8] = (bytes[8] & 0x3f) | 0x80;
	const hex = Array.prototype.map.call(bytes, (byte) => (byte + 0x100).toString(16).slice(1)).join("");
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function orderStatusOf(res) {
	const order = res.status === 200 ? bodyOf(res) : null;
	return order ? order.status : undefined;
}

/**
 * A shopper places an order of one checkout SKU and follows it until the saga ends it; the checkout succeeded when
 * it ended CONFIRMED. The wait is part of the flow: it is what a shopper waits for.
 */
/** Orders' back-pressure (503 CHECKOUT_BUSY with Retry-After): a designed answer, not a server error. */
function isCheckoutBusy(res) {
	if (res.status !== 503) return false;
	const body = bodyOf(res);
	return body?.error?.code === "CHECKOUT_BUSY";
}

const BUSY_RETRIES = 30;

/**
 * POST /api/orders as a client does: a 503 CHECKOUT_BUSY is tried again with the same Idempotency-Key after its
 * Retry-After, up to BUSY_RETRIES times. Every try is tagged `step`; a busy answer is not a failed request.
 */
export function placeOrder(api, step, order, idempotencyKey) {
	const options = { headers: { "Idempotency-Key": idempotencyKey }, expected: [200, 201, 503] };
	let res = api.post(step, "/api/orders", order, options);
	for (let retry = 0; retry < BUSY_RETRIES && isCheckoutBusy(res); retry++) {
		sleep(Number(res.headers["Retry-After"]) || 1);
		res = api.post(step, "/api/orders", order, options);
	}
	return res;
}

export function checkoutFlow(token, metrics) {
	const api = caller("checkout", token, metrics.serverErrors);
	const sku = `LOAD-CHK-${Math.floor(Math.random() * CHECKOUT_SKU_COUNT)}`;
	const placed = placeOrder(
		api,
		"place_order",
		{ items: [{ sku: sku, quantity: 1 }], paymentMethod: "sandbox_authorize" },
		uuidv4(),
	);
	const order = placed.status === 201 ? bodyOf(placed) : null;
	if (!check(placed, { "checkout place_order: 201": () => Boolean(order?.orderId) })) {
		metrics.checkoutSuccess.add(false);
		return;
	}
	const orderPath = `/api/orders/${order.orderId}`;
	const viewed = api.get("view_order", orderPath, { name: "/api/orders/{orderId}" });
	check(viewed, { "checkout view_order: 200": (r) => r.status === 200 });
	let status = orderStatusOf(viewed);
	const deadline = Date.now() + ORDER_POLL_LIMIT_MS;
	while (TERMINAL_ORDER_STATUSES.indexOf(status) < 0 && Date.now() < deadline) {
		sleep(ORDER_POLL_INTERVAL_S);
		status = orderStatusOf(api.get("poll", orderPath, { name: "/api/orders/{orderId}" }));
	}
	metrics.checkoutSuccess.add(status === "CONFIRMED");
}
