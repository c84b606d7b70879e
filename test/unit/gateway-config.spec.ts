import { ConfigError, loadConfig } from "../../config";
import { downstreamLimitsOf } from "../../config/gateway-validators";

describe("the gateway's configuration", () => {
	it("when nothing is set, then there is no CORS and every service gets the broker-wide timeout, breaker and bulkhead", () => {
		const config = loadConfig({
			REQUEST_TIMEOUT_MS: "5000",
			CIRCUIT_BREAKER_HALF_OPEN_S: "7",
			BULKHEAD_MAX_QUEUE: "50",
		});
		expect(config.cors.origins).toEqual([]);
		expect(config.downstream.overrides).toEqual({});
		expect(downstreamLimitsOf(config.downstream.defaults, undefined)).toEqual({
			timeoutMs: 5000,
			breaker: { threshold: 0.5, minRequests: 20, windowMs: 60_000, halfOpenMs: 7000 },
			bulkhead: { concurrency: 1000, maxQueue: 50 },
		});
	});

	it("when GATEWAY_DOWNSTREAM overrides a service, then only that service's named limits change", () => {
		const config = loadConfig({
			GATEWAY_DOWNSTREAM: '{"search":{"timeoutMs":3000,"breakerHalfOpenS":2,"bulkheadConcurrency":50}}',
		});
		const search = downstreamLimitsOf(config.downstream.defaults, config.downstream.overrides.search);
		expect(search).toEqual({
			timeoutMs: 3000,
			breaker: { threshold: 0.5, minRequests: 20, windowMs: 60_000, halfOpenMs: 2000 },
			bulkhead: { concurrency: 50, maxQueue: 10_000 },
		});
		expect(downstreamLimitsOf(config.downstream.defaults, config.downstream.overrides.cart).timeoutMs).toBe(10_000);
	});

	it("when CORS_ORIGINS lists origins, then they are kept as written", () => {
		expect(loadConfig({ CORS_ORIGINS: "https://shop.example, http://localhost:5173" }).cors.origins).toEqual([
			"https://shop.example",
			"http://localhost:5173",
		]);
		expect(loadConfig({ CORS_ORIGINS: "*" }).cors.origins).toEqual(["*"]);
	});

	it.each([
		["CORS_ORIGINS", "https://shop.example/"],
		["CORS_ORIGINS", "shop.example"],
		["CORS_ORIGINS", "ftp://shop.example"],
		["GATEWAY_DOWNSTREAM", "not json"],
		["GATEWAY_DOWNSTREAM", '{"search":{"timeout":3000}}'],
		["GATEWAY_DOWNSTREAM", '{"search":{"breakerThreshold":2}}'],
		["GATEWAY_DOWNSTREAM", '{"Search":{}}'],
		["GATEWAY_DOWNSTREAM", "[1]"],
	])("when %s is %s, then the node refuses to start naming the variable", (name, value) => {
		expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
		expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
	});
});
