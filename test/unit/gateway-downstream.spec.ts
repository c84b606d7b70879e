import { Errors } from "moleculer";
import { toErrorBody } from "../../lib/errors";
import { Bulkhead } from "../../services/gateway/bulkhead";
import { CircuitBreaker } from "../../services/gateway/circuit-breaker";
import { DownstreamGuards } from "../../services/gateway/downstream-guards";
import { countsAgainst, ServiceFallbackError, unreachableServiceOf } from "../../services/gateway/service-fallback";

const LIMITS = {
	timeoutMs: 1000,
	breaker: { threshold: 0.5, minRequests: 4, windowMs: 10_000, halfOpenMs: 2000 },
	bulkhead: { concurrency: 2, maxQueue: 1 },
};

/** A clock the test moves. */
function clock() {
	let t = 1_000_000;
	return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** A Moleculer error as it arrives from another node: `nodeID` set by the transit. */
function fromNode<T extends Error>(err: T, nodeID: string): T {
	return Object.assign(err, { nodeID });
}

describe("the gateway's circuit breaker", () => {
	it("when failures reach the threshold after the minimum calls, then it opens, lets one trial through after the half-open time, and closes on its success", () => {
		const time = clock();
		const breaker = new CircuitBreaker(LIMITS.breaker, time.now);
		breaker.succeeded();
		breaker.failed();
		breaker.failed();
		expect(breaker.isOpen).toBe(false); // 2 of 3: fewer calls than minRequests
		breaker.failed();
		expect(breaker.isOpen).toBe(true); // 3 of 4 >= 0.5
		expect(breaker.waitMs()).toBe(2000);
		time.advance(1500);
		expect(breaker.waitMs()).toBe(500);
		time.advance(500);
		expect(breaker.waitMs()).toBe(0); // the trial
		expect(breaker.waitMs()).toBe(2000); // the others wait for it
		breaker.succeeded();
		expect(breaker.isOpen).toBe(false);
		expect(breaker.waitMs()).toBe(0);
	});

	it("when the trial fails, then it opens again for the whole half-open time", () => {
		const time = clock();
		const breaker = new CircuitBreaker({ ...LIMITS.breaker, minRequests: 1 }, time.now);
		breaker.failed();
		time.advance(2000);
		expect(breaker.waitMs()).toBe(0);
		breaker.failed();
		expect(breaker.waitMs()).toBe(2000);
	});

	it("when the failures are spread over windows, then each window counts on its own", () => {
		const time = clock();
		const breaker = new CircuitBreaker(LIMITS.breaker, time.now);
		for (let i = 0; i < 3; i++) breaker.failed();
		time.advance(10_000);
		breaker.failed();
		expect(breaker.isOpen).toBe(false);
	});
});

describe("the gateway's bulkhead", () => {
	it("when the slots and the queue are taken, then a call is refused at once; a freed slot goes to the first waiting call", async () => {
		const bulkhead = new Bulkhead(2, 1);
		expect(bulkhead.tryEnter()).toBe(true);
		expect(bulkhead.tryEnter()).toBe(true);
		expect(bulkhead.tryEnter()).toBe(false);
		const waiting = bulkhead.enterWhenFree();
		expect(waiting).toBeInstanceOf(Promise);
		expect(bulkhead.enterWhenFree()).toBeUndefined();
		bulkhead.leave();
		await waiting;
		expect([bulkhead.inUse, bulkhead.queued]).toEqual([2, 0]);
	});
});

describe("which service a failure names", () => {
	const here = "edge-1";

	it.each<[string, unknown, string, string]>([
		[
			"no node offers the routed action (moleculer-web)",
			{ name: "ServiceUnavailableError", code: 503 },
			"products",
			"products",
		],
		[
			"no endpoint is available",
			new Errors.ServiceNotAvailableError({ action: "products.list" }),
			"products",
			"products",
		],
		[
			"the node died with the call pending",
			new Errors.RequestRejectedError({ action: "products.get", nodeID: "p" }),
			"products",
			"products",
		],
		[
			"the gateway's own token check",
			new Errors.ServiceNotFoundError({ action: "auth.validate" }),
			"inventory",
			"auth",
		],
		[
			"the cart's call to products failed and the cart passed it on",
			fromNode(new Errors.ServiceNotAvailableError({ action: "products.getMany" }), "core-1"),
			"cart",
			"cart",
		],
	])(
		"when %s, then the fallback names the service the client (or the gateway itself) called",
		(_case, err, target, expected) => {
			expect(unreachableServiceOf(err, target, here)).toBe(expected);
		},
	);

	it("when the error is not about reaching a service, then there is no fallback", () => {
		expect(
			unreachableServiceOf(new Errors.MoleculerClientError("no", 404, "PRODUCT_NOT_FOUND"), "products", here),
		).toBe(undefined);
		expect(
			unreachableServiceOf(new Errors.RequestTimeoutError({ action: "products.list", nodeID: "p" }), "products", here),
		).toBe(undefined);
	});

	it("counts against the routed service's breaker its own outage, timeouts and 500s, not 4xx, its own 503 answers or a dependency's outage", () => {
		expect(countsAgainst(new Errors.RequestTimeoutError({ action: "products.list", nodeID: "p" }), "products")).toBe(
			true,
		);
		expect(countsAgainst(new Errors.RequestRejectedError({ action: "products.list", nodeID: "p" }), "products")).toBe(
			true,
		);
		expect(countsAgainst(new Errors.MoleculerServerError("boom", 500, "INTERNAL"), "products")).toBe(true);
		expect(countsAgainst(new Errors.MoleculerClientError("bad", 400, "VALIDATION_ERROR"), "products")).toBe(false);
		expect(countsAgainst(new Errors.MoleculerRetryableError("later", 503, "CATALOG_UNAVAILABLE"), "cart")).toBe(false);
		expect(countsAgainst(new Errors.ServiceNotAvailableError({ action: "products.getMany" }), "cart")).toBe(false);
	});

	it("when the fallback is answered, then it is the standard error JSON: 503 SERVICE_UNAVAILABLE with the service and when to retry", () => {
		const body = toErrorBody(new ServiceFallbackError("products", 2.2), "c-1");
		expect(body.error).toMatchObject({
			status: 503,
			code: "SERVICE_UNAVAILABLE",
			correlationId: "c-1",
			details: { service: "products", retryAfterS: 3 },
		});
	});
});

describe("the guards of a gateway", () => {
	const quiet = { warn: () => undefined, info: () => undefined };

	it("when a service's breaker opens, then its calls are refused at once with its fallback, and other services' calls go on", async () => {
		const time = clock();
		const guards = new DownstreamGuards(() => LIMITS, "edge-1", quiet, time.now);
		const failing = () => Promise.reject(new Errors.RequestTimeoutError({ action: "products.list", nodeID: "p" }));
		for (let i = 0; i < 4; i++) await expect(guards.call({}, "products.list", failing)).rejects.toThrow(/timed out/);
		let called = false;
		const refused = await guards
			.call({}, "products.get", async () => {
				called = true;
			})
			.catch((err: unknown) => err);
		expect(called).toBe(false);
		expect(refused).toBeInstanceOf(ServiceFallbackError);
		expect((refused as ServiceFallbackError).data).toEqual({ service: "products", retryAfterS: 2 });
		await expect(guards.call({}, "cart.get", async () => "cart")).resolves.toBe("cart");
	});

	it("when no node offered the routed action, then the answer is the routed service's fallback and counts against its breaker", () => {
		const guards = new DownstreamGuards(
			() => ({ ...LIMITS, breaker: { ...LIMITS.breaker, minRequests: 1 } }),
			"edge-1",
			quiet,
		);
		const req = { $alias: { action: "products.list" } };
		const answer = guards.answerFor(req, { name: "ServiceUnavailableError", code: 503 });
		expect(answer).toBeInstanceOf(ServiceFallbackError);
		// The breaker opened: the next answer says how long it stays open.
		const next = guards.answerFor(req, { name: "ServiceUnavailableError", code: 503 }) as ServiceFallbackError;
		expect(next.data).toEqual({ service: "products", retryAfterS: 2 });
	});

	it("when the bulkhead and its queue are full, then a call is refused at once", async () => {
		const guards = new DownstreamGuards(() => LIMITS, "edge-1", quiet);
		const hanging: Array<() => void> = [];
		const slow = () => new Promise<void>((resolve) => hanging.push(resolve));
		const running = [0, 1, 2].map(() => guards.call({}, "search.products", slow));
		const startedAt = Date.now();
		await expect(guards.call({}, "search.products", slow)).rejects.toBeInstanceOf(ServiceFallbackError);
		expect(Date.now() - startedAt).toBeLessThan(100);
		// Each freed slot lets the queued call start: finish calls until all three have run.
		for (let round = 0; round < 3; round++) {
			for (const resolve of hanging.splice(0)) resolve();
			await new Promise((r) => setImmediate(r));
		}
		await Promise.all(running);
	});
});
