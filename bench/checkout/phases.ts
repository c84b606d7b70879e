/**
 * The checkout bench's phases: (a) saturation and its moleculer-web ceiling, (b) latency at a
 * fixed offered rate, (c) the flash sale with its invariants. Each phase waits until every order of
 * the cluster is terminal before it reads the outcomes, so the next phase starts on a drained saga.
 */
import type { ServiceBroker } from "moleculer";
import type mysql from "mysql2/promise";
import { HTTP_CEILINGS } from "../support/approaches";
import { log, STARTUP_TIMEOUT_MS } from "../support/bench-run";
import { errorLabel, runClosedLoop } from "../support/closed-loop";
import type { CpuMeter, CpuSnapshot, CpuUsage } from "../support/cpu-meter";
import { freePort } from "../support/free-port";
import { LatencyRecorder } from "../support/latency-recorder";
import { HttpStatusError } from "../support/reserve-clients";
import { readSqlCounters, type SqlCounters, sqlDelta } from "../support/sql-counters";
import { retryUntil } from "../support/wait";
import type { CheckoutCluster } from "./cluster";
import { HttpPool, headerLines } from "./http-pool";
import { runOpenLoop } from "./open-loop";
import type { OrderStore } from "./order-store";
import type { CheckoutBenchSettings } from "./settings";
import { type OrderOutcome, orderBody, type ShopClient, shopperHeaders, TERMINAL } from "./shop-client";

/** One invariant the bench checked: its name, whether it held, what was seen. */
export interface Check {
	phase: string;
	name: string;
	ok: boolean;
	detail: string;
}

export interface CheckoutRun {
	settings: CheckoutBenchSettings;
	runId: string;
	shop: ShopClient;
	store: OrderStore;
	/** The bench's own database connection (server-wide statement counters). */
	db: mysql.Connection;
	/** The load generator's broker (internal calls: `payments.byOrder`). */
	broker: ServiceBroker;
	cluster: CheckoutCluster;
	meter: CpuMeter;
	/** SKUs of (a) and (b), never sold out. */
	skus: string[];
	/** Units each of those SKUs started with. */
	skuStock: number;
	checks: Check[];
}

export interface Percentiles {
	p50: number;
	p95: number;
	p99: number;
}

function percentilesOf(recorder: LatencyRecorder): Percentiles {
	const [p50, p95, p99] = recorder.percentiles([50, 95, 99]) as [number, number, number];
	return { p50, p95, p99 };
}

function countsOf(map: Map<string, number>): Record<string, number> {
	return Object.fromEntries(map);
}

/** "CONFIRMED 980, CANCELLED INSUFFICIENT_STOCK 20" from outcomes. */
function outcomeCounts(outcomes: readonly OrderOutcome[]): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const o of outcomes) {
		const label = o.reason ? `${o.status} ${o.reason}` : o.status;
		counts[label] = (counts[label] ?? 0) + 1;
	}
	return counts;
}

function check(run: CheckoutRun, phase: string, name: string, ok: boolean, detail: string): void {
	run.checks.push({ phase, name, ok, detail });
	if (!ok) log(`INVARIANT BROKEN (${phase}): ${name}: ${detail}`);
}

/** Waits until no order is open; records an invariant failure when the drain timeout passed first. */
async function drain(run: CheckoutRun, phase: string): Promise<boolean> {
	const drained = await run.store.drained(run.settings.drainTimeoutMs, (open) =>
		log(`${phase}: ${open} order(s) still open`),
	);
	if (!drained) {
		const open = await run.store.openOrders();
		check(
			run,
			phase,
			"every order terminal",
			false,
			`${open} order(s) still open after ${run.settings.drainTimeoutMs / 1000} s`,
		);
	}
	return drained;
}

/** Every read order has exactly one terminal entry in its history, and it is its status. */
function checkTerminal(run: CheckoutRun, phase: string, outcomes: readonly OrderOutcome[]): void {
	const bad = outcomes.filter(
		(o) => !TERMINAL.includes(o.status) || o.terminalEntries !== 1 || o.endedAt === undefined,
	);
	check(
		run,
		phase,
		"every order terminal, once",
		bad.length === 0,
		bad.length === 0
			? `${outcomes.length} of ${outcomes.length}`
			: `${bad.length} not: e.g. ${bad
					.slice(0, 3)
					.map((o) => `${o.orderId} ${o.status} (${o.terminalEntries} terminal entries)`)
					.join(", ")}`,
	);
}

// ---------------------------------------------------------------------------------------------
// Probe

/**
 * Places probe orders until one is CONFIRMED: Kafka consumer groups join a while after the nodes
 * start, and an order placed before they did waits for the next rebalance.
 */
export async function waitForProbe(run: CheckoutRun): Promise<number> {
	const started = Date.now();
	const [headers] = await shopperHeaders(`probe-${run.runId}`, 1);
	const body = orderBody(run.skus[0] as string);
	let probes = 0;
	while (Date.now() - started < run.settings.probeTimeoutMs) {
		run.cluster.assertRunning();
		let orderId: string;
		try {
			orderId = await run.shop.placeOrder(headers as string, body);
		} catch (err) {
			// The orders node (or the catalog it prices with) is not reachable yet.
			log(`probe order not placed yet: ${(err as Error).message}`);
			await new Promise((resolve) => setTimeout(resolve, 1000));
			continue;
		}
		probes++;
		const until = Date.now() + 5000;
		while (Date.now() < until) {
			const order = await run.shop.order(orderId);
			if (order.status === "CONFIRMED") {
				log(`probe order CONFIRMED after ${((Date.now() - started) / 1000).toFixed(1)} s (${probes} probe order(s))`);
				return probes;
			}
			if (TERMINAL.includes(order.status))
				throw new Error(`probe order ${orderId} ended ${order.status} ${order.reason}`);
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
	}
	throw new Error(`no probe order was CONFIRMED within ${run.settings.probeTimeoutMs / 1000} s`);
}

// ---------------------------------------------------------------------------------------------
// (a) Ceiling and saturation

export interface ThroughputResult {
	inflight: number;
	seconds: number;
	/** Successful replies per second in the window. */
	rate: number;
	latency: Percentiles;
	errors: Record<string, number>;
}

/**
 * moleculer-web with a no-op action (`nodes/moleculer-web-noop-node.ts`), driven exactly like (a): the
 * same N, window, client, headers and order body: the most a gateway on this framework answers here.
 */
export async function ceilingPhase(
	settings: CheckoutBenchSettings,
	shoppers: readonly string[],
): Promise<ThroughputResult> {
	const port = await freePort();
	const server = HTTP_CEILINGS.moleculerWeb.start(port);
	const pool = new HttpPool(new URL(`http://127.0.0.1:${port}`), settings.inflight);
	const body = orderBody("CEILING");
	try {
		await retryUntil(
			"moleculer-web no-op",
			async () => {
				const reply = await pool.request(
					"POST",
					"/api/inventory/stock",
					headerLines(),
					JSON.stringify({ sku: "x", available: 1 }),
				);
				if (reply.status !== 200) throw new Error(`HTTP ${reply.status}`);
			},
			{ timeoutMs: STARTUP_TIMEOUT_MS, check: () => server.assertRunning() },
		);
		const load = await runClosedLoop(
			{
				kind: "timed",
				inflight: settings.inflight,
				warmupMs: settings.warmupSeconds * 1000,
				durationMs: settings.seconds * 1000,
			},
			async (sequence) => {
				const reply = await pool.request(
					"POST",
					"/api/inventory/reserve",
					shoppers[sequence % shoppers.length] as string,
					body,
				);
				if (reply.status !== 200) throw new HttpStatusError(reply.status);
			},
		);
		return {
			inflight: settings.inflight,
			seconds: load.windowSeconds,
			rate: load.latencies.count / load.windowSeconds,
			latency: percentilesOf(load.latencies),
			errors: countsOf(load.errors),
		};
	} finally {
		pool.close();
		await server.stop();
	}
}

export interface SaturationResult extends ThroughputResult {
	/**
	 * The headline: orders created in the window that were CONFIRMED, per second from the window's
	 * start until the last of them was CONFIRMED (at least the window). Equals "CONFIRMED per second of
	 * the window" when the saga keeps up with the POSTs; counts the drain when it does not.
	 */
	confirmedPerSecond: number;
	/** CONFIRMED history entries whose `at` falls inside the window, per second of it. */
	confirmedInWindowPerSecond: number;
	/** Orders created in the window, and how many of them were CONFIRMED. */
	windowOrders: number;
	windowOrdersConfirmed: number;
	/** From the window's end until the last order of the phase was terminal, seconds. */
	drainAfterWindowSeconds: number;
	/** created -> CONFIRMED of the window's orders at saturation. */
	confirmLatency: Percentiles;
	outcomes: Record<string, number>;
	/** CPU in the window (POSTs and saga together) and after it until every order ended (the saga alone). */
	cpuWindow: CpuUsage;
	cpuDrain: CpuUsage;
	drainSeconds: number;
	/** CPU from the window's start until drained, and the orders CONFIRMED in that time. */
	cpuWindowToDrained: CpuUsage;
	confirmedWindowToDrained: number;
	/** What MariaDB ran from the window's start until drained (server-wide). */
	sqlWindowToDrained: SqlCounters;
}

export async function saturationPhase(run: CheckoutRun, shoppers: readonly string[]): Promise<SaturationResult> {
	const { settings, shop } = run;
	const bodies = run.skus.map(orderBody);
	const placed: string[] = [];
	const warmupMs = settings.warmupSeconds * 1000;
	const durationMs = settings.seconds * 1000;
	let from: CpuSnapshot | undefined;
	let to: CpuSnapshot | undefined;
	let sqlFrom: Promise<SqlCounters> | undefined;
	const windowStart = Date.now() + warmupMs;
	const windowEnd = windowStart + durationMs;
	const edges = [
		setTimeout(() => {
			from = run.meter.snapshot();
			sqlFrom = readSqlCounters(run.db);
		}, warmupMs),
		setTimeout(() => {
			to = run.meter.snapshot();
		}, warmupMs + durationMs),
	];
	const load = await runClosedLoop(
		{ kind: "timed", inflight: settings.inflight, warmupMs, durationMs },
		async (sequence) => {
			placed.push(
				await shop.placeOrder(
					shoppers[sequence % shoppers.length] as string,
					bodies[sequence % bodies.length] as string,
				),
			);
		},
	);
	for (const edge of edges) clearTimeout(edge);
	to ??= run.meter.snapshot();
	from ??= to;
	const windowEndReading = to;
	log(
		`saturation: ${placed.length} orders placed (${shop.busyAnswers} 503 CHECKOUT_BUSY answers waited out so far), waiting for them to end`,
	);
	const drainFrom = Date.now();
	await drain(run, "saturation");
	const drained = run.meter.snapshot();
	const sqlTo = await readSqlCounters(run.db);
	const sqlWindowToDrained = sqlDelta(await (sqlFrom ?? Promise.resolve(sqlTo)), sqlTo);
	const drainSeconds = (Date.now() - drainFrom) / 1000;
	const outcomes = await shop.orders(placed, settings.readConcurrency);
	checkTerminal(run, "saturation", outcomes);

	const confirmed = outcomes.filter((o) => o.status === "CONFIRMED");
	const inWindow = (t: number | undefined) => t !== undefined && t >= windowStart && t <= windowEnd;
	const windowOrders = outcomes.filter((o) => inWindow(o.createdAt));
	const windowConfirmed = windowOrders.filter((o) => o.status === "CONFIRMED");
	const confirmLatency = new LatencyRecorder();
	for (const o of windowConfirmed) confirmLatency.record((o.endedAt as number) - o.createdAt);
	const lastEnd = Math.max(...outcomes.map((o) => o.endedAt ?? 0));
	const lastWindowConfirmed = Math.max(windowEnd, ...windowConfirmed.map((o) => o.endedAt as number));
	const seconds = durationMs / 1000;
	return {
		inflight: settings.inflight,
		seconds: load.windowSeconds,
		rate: load.latencies.count / load.windowSeconds,
		latency: percentilesOf(load.latencies),
		errors: countsOf(load.errors),
		confirmedPerSecond: windowConfirmed.length / ((lastWindowConfirmed - windowStart) / 1000),
		confirmedInWindowPerSecond: confirmed.filter((o) => inWindow(o.endedAt)).length / seconds,
		windowOrders: windowOrders.length,
		windowOrdersConfirmed: windowConfirmed.length,
		drainAfterWindowSeconds: Math.max(0, (lastEnd - windowEnd) / 1000),
		confirmLatency: percentilesOf(confirmLatency),
		outcomes: outcomeCounts(outcomes),
		cpuWindow: run.meter.usage(from, windowEndReading),
		cpuDrain: run.meter.usage(windowEndReading, drained),
		drainSeconds,
		cpuWindowToDrained: run.meter.usage(from, drained),
		confirmedWindowToDrained: confirmed.filter((o) => (o.endedAt as number) >= windowStart).length,
		sqlWindowToDrained,
	};
}

// ---------------------------------------------------------------------------------------------
// (b) Latency at a fixed offered rate

export interface LatencyResult {
	rate: number;
	seconds: number;
	sent: number;
	accepted: number;
	maxInflight: number;
	errors: Record<string, number>;
	/** POST /api/orders, from when it was due to its 201. */
	post: Percentiles;
	/** createdAt -> the CONFIRMED history entry's `at`, CONFIRMED orders only. */
	confirm: Percentiles;
	confirmSamples: number;
	outcomes: Record<string, number>;
}

export async function latencyPhase(run: CheckoutRun, shoppers: readonly string[]): Promise<LatencyResult> {
	const { settings, shop } = run;
	const bodies = run.skus.map(orderBody);
	const placed: string[] = [];
	const load = await runOpenLoop(settings.rate, settings.rateSeconds, async (sequence) => {
		placed.push(
			await shop.placeOrder(shoppers[sequence % shoppers.length] as string, bodies[sequence % bodies.length] as string),
		);
	});
	log(
		`latency: ${placed.length} orders placed at ${settings.rate}/s (${shop.busyAnswers} 503 CHECKOUT_BUSY answers waited out so far), waiting for them to end`,
	);
	await drain(run, "latency");
	const outcomes = await shop.orders(placed, settings.readConcurrency);
	checkTerminal(run, "latency", outcomes);
	const confirm = new LatencyRecorder();
	for (const o of outcomes) if (o.status === "CONFIRMED") confirm.record((o.endedAt as number) - o.createdAt);
	return {
		rate: settings.rate,
		seconds: settings.rateSeconds,
		sent: load.sent,
		accepted: placed.length,
		maxInflight: load.maxInflight,
		errors: countsOf(load.errors),
		post: percentilesOf(load.latencies),
		confirm: percentilesOf(confirm),
		confirmSamples: confirm.count,
		outcomes: outcomeCounts(outcomes),
	};
}

/**
 * The never-sold-out SKUs of (a) and (b) after both: each sold exactly what its CONFIRMED orders
 * bought, holds nothing, and lost no unit (available + reserved + confirmed = what it started with).
 */
export async function checkCatalogStock(run: CheckoutRun, userPrefixes: readonly string[]): Promise<void> {
	let confirmedOrders = 0;
	for (const prefix of userPrefixes) {
		for (const row of await run.store.countsByStatus(prefix))
			if (row.status === "CONFIRMED") confirmedOrders += row.count;
	}
	const settled = await settledStock(
		run,
		run.skus,
		(stocks) =>
			stocks.every((s) => s.reserved === 0) && stocks.reduce((sum, s) => sum + s.confirmed, 0) === confirmedOrders,
	);
	const sold = settled.reduce((sum, s) => sum + s.confirmed, 0);
	const reserved = settled.reduce((sum, s) => sum + s.reserved, 0);
	const lost = settled.filter((s) => s.available + s.reserved + s.confirmed !== run.skuStock);
	check(
		run,
		"saturation+latency",
		"units sold = CONFIRMED orders",
		sold === confirmedOrders,
		`${sold} units sold, ${confirmedOrders} CONFIRMED orders`,
	);
	check(run, "saturation+latency", "no hold left", reserved === 0, `${reserved} units reserved`);
	check(
		run,
		"saturation+latency",
		"available + reserved + confirmed = initial stock",
		lost.length === 0,
		lost.length === 0 ? `${run.skus.length} SKUs` : `${lost.length} SKUs differ, e.g. ${JSON.stringify(lost[0])}`,
	);
}

type Stock = { available: number; reserved: number; confirmed: number };

/**
 * The stock once the sale of CONFIRMED orders has landed (inventory sells on `order.confirmed.v1`,
 * after the order's end): waits until `done` holds or 60 s passed, and returns the last reading.
 */
async function settledStock(
	run: CheckoutRun,
	skus: readonly string[],
	done: (stocks: Stock[]) => boolean,
): Promise<Stock[]> {
	const deadline = Date.now() + 60_000;
	for (;;) {
		const stocks: Stock[] = [];
		for (const sku of skus) stocks.push(await run.shop.stock(sku));
		if (done(stocks) || Date.now() > deadline) return stocks;
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
}

// ---------------------------------------------------------------------------------------------
// (c) Flash sale

export interface FlashResult {
	orders: number;
	stock: number;
	inflight: number;
	accepted: number;
	errors: Record<string, number>;
	/** From the first POST sent to the last POST answered, seconds; and 201s per second of that. */
	offerSeconds: number;
	acceptedPerSecond: number;
	post: Percentiles;
	/** From the first order placed to the last order terminal, seconds. */
	drainSeconds: number;
	/** What the orders database holds for the sale's shoppers (every order, even one whose POST failed). */
	outcomes: Record<string, number>;
	stockAfter: Stock;
	confirmedOrders: number;
}

export async function flashPhase(run: CheckoutRun): Promise<FlashResult> {
	const { settings, shop, runId } = run;
	const sku = `FLASH-${runId}`;
	await shop.createProduct(sku, 1999);
	await shop.setStock(sku, settings.flashStock);
	const userPrefix = `flash-${runId}-`;
	log(`flash: signing ${settings.flashOrders} shoppers' tokens`);
	const shoppers = await shopperHeaders(`flash-${runId}`, settings.flashOrders);
	const body = orderBody(sku);
	const placed: string[] = [];
	const post = new LatencyRecorder();
	const errors = new Map<string, number>();
	log(
		`flash: ${settings.flashOrders} orders for ${settings.flashStock} units of ${sku}, ${settings.flashInflight} in flight`,
	);
	const firstSent = Date.now();
	let lastAnswered = firstSent;
	let next = 0;
	const worker = async () => {
		while (next < settings.flashOrders) {
			const i = next++;
			const sent = performance.now();
			try {
				placed.push(await shop.placeOrder(shoppers[i] as string, body));
				post.record(performance.now() - sent);
			} catch (err) {
				const label = errorLabel(err);
				errors.set(label, (errors.get(label) ?? 0) + 1);
			}
			lastAnswered = Date.now();
		}
	};
	await Promise.all(Array.from({ length: settings.flashInflight }, worker));
	const offerSeconds = (lastAnswered - firstSent) / 1000;
	log(
		`flash: ${placed.length} orders placed in ${offerSeconds.toFixed(1)} s (${shop.busyAnswers} 503 CHECKOUT_BUSY answers waited out so far in the run), waiting for them to end`,
	);
	await drain(run, "flash sale");
	const outcomes = await shop.orders(placed, settings.readConcurrency);
	checkTerminal(run, "flash sale", outcomes);

	const counts = await run.store.countsByStatus(userPrefix);
	const stored = Object.fromEntries(counts.map((c) => [c.reason ? `${c.status} ${c.reason}` : c.status, c.count]));
	const confirmedOrders = counts.filter((c) => c.status === "CONFIRMED").reduce((sum, c) => sum + c.count, 0);
	const openOrders = counts.filter((c) => !TERMINAL.includes(c.status)).reduce((sum, c) => sum + c.count, 0);
	const [stockAfter] = (await settledStock(
		run,
		[sku],
		([s]) => s?.reserved === 0 && s.confirmed === confirmedOrders,
	)) as [Stock];
	const { available, reserved, confirmed } = stockAfter;
	const phase = "flash sale";
	check(
		run,
		phase,
		"0 oversold",
		confirmed <= settings.flashStock,
		`${confirmed} units sold of ${settings.flashStock}`,
	);
	check(
		run,
		phase,
		"confirmed + available + reserved = stock",
		available + reserved + confirmed === settings.flashStock,
		`${confirmed} + ${available} + ${reserved} = ${available + reserved + confirmed} (stock ${settings.flashStock})`,
	);
	check(
		run,
		phase,
		"CONFIRMED orders = units sold",
		confirmedOrders === confirmed,
		`${confirmedOrders} CONFIRMED orders, ${confirmed} units sold`,
	);
	check(
		run,
		phase,
		"every order terminal (database)",
		openOrders === 0,
		`${openOrders} open of ${counts.reduce((s, c) => s + c.count, 0)}`,
	);
	check(run, phase, "no hold left", reserved === 0, `${reserved} units reserved`);
	const apiConfirmed = outcomes.filter((o) => o.status === "CONFIRMED").length;
	check(
		run,
		phase,
		"the API agrees with the database",
		// A POST that failed after its order committed leaves an order the bench never read.
		apiConfirmed === confirmedOrders || errors.size > 0,
		`${apiConfirmed} CONFIRMED through GET /api/orders, ${confirmedOrders} in the database`,
	);
	await checkPayments(run, phase, outcomes);

	const lastEnd = Math.max(...outcomes.map((o) => o.endedAt ?? 0));
	return {
		orders: settings.flashOrders,
		stock: settings.flashStock,
		inflight: settings.flashInflight,
		accepted: placed.length,
		errors: countsOf(errors),
		offerSeconds,
		acceptedPerSecond: placed.length / offerSeconds,
		post: percentilesOf(post),
		drainSeconds: (lastEnd - firstSent) / 1000,
		outcomes: stored,
		stockAfter,
		confirmedOrders,
	};
}

/**
 * Money only for sales: every CONFIRMED order's payment ends CAPTURED, and no other order's payment
 * is left AUTHORIZED or CAPTURED (captures and voids follow the order's end, so this waits up to 60 s).
 */
async function checkPayments(run: CheckoutRun, phase: string, outcomes: readonly OrderOutcome[]): Promise<void> {
	const settledFor = (order: OrderOutcome, status: string | undefined) =>
		order.status === "CONFIRMED" ? status === "CAPTURED" : status !== "AUTHORIZED" && status !== "CAPTURED";
	let unsettled = [...outcomes];
	const last = new Map<string, string | undefined>();
	const deadline = Date.now() + 60_000;
	for (;;) {
		const still: OrderOutcome[] = [];
		let next = 0;
		const worker = async () => {
			while (next < unsettled.length) {
				const order = unsettled[next++] as OrderOutcome;
				const payment = await run.broker.call<{ status: string } | null, { orderId: string }>("payments.byOrder", {
					orderId: order.orderId,
				});
				last.set(order.orderId, payment?.status);
				if (!settledFor(order, payment?.status)) still.push(order);
			}
		};
		await Promise.all(Array.from({ length: Math.min(run.settings.readConcurrency, unsettled.length) }, worker));
		unsettled = still;
		if (unsettled.length === 0 || Date.now() > deadline) break;
		await new Promise((resolve) => setTimeout(resolve, 1000));
	}
	const example = unsettled[0];
	check(
		run,
		phase,
		"captured exactly for CONFIRMED orders",
		unsettled.length === 0,
		unsettled.length === 0
			? `${outcomes.length} payments settled`
			: `${unsettled.length} not, e.g. order ${example?.orderId} ${example?.status} with payment ${last.get(example?.orderId as string) ?? "none"}`,
	);
}
