import { ConfigError, loadConfig } from "../../config";

describe("config", () => {
	it("when the environment is empty, then it runs the embedded single-process shop on 127.0.0.1:3000", () => {
		const config = loadConfig({});
		expect(config.embedded).toBe(true);
		expect(config.http).toEqual({ host: "127.0.0.1", port: 3000, bodyLimit: "64kb" });
		expect(config.transporter).toBe("");
		expect(config.db.url).toBe("");
		expect(config.services).toEqual([]);
		expect(config.metrics.host).toBe("127.0.0.1");
		expect(config.dataDir).toMatch(/data$/);
	});

	it("when URLs are set, then it is cluster mode with those adapters", () => {
		const config = loadConfig({
			TRANSPORTER: "nats://127.0.0.1:4222",
			DATABASE_URL: "mysql://shop:shop@127.0.0.1:3306",
			EVENTS_URL: "kafka://127.0.0.1:9092",
			SERVICES: "gateway, inventory",
		});
		expect(config.embedded).toBe(false);
		expect(config.services).toEqual(["gateway", "inventory"]);
		expect(config.events.url).toBe("kafka://127.0.0.1:9092");
	});

	it.each([
		["TRANSPORTER", "amqp://127.0.0.1"],
		["TRANSPORTER", "not a url"],
		["DATABASE_URL", "postgres://x@127.0.0.1/db"],
		["EVENTS_URL", "amqp://127.0.0.1"],
		["PORT", "70000"],
		["LOG_LEVEL", "loud"],
		["REQUEST_TIMEOUT_MS", "-5"],
		["SERVICES", "Inventory!"],
	])("when %s=%s, then loading fails with one line naming the variable", (name, value) => {
		let error: unknown;
		try {
			loadConfig({ [name]: value });
		} catch (err) {
			error = err;
		}
		expect(error).toBeInstanceOf(ConfigError);
		const message = (error as Error).message;
		expect(message).toContain(name);
		expect(message).not.toContain("\n");
	});

	it("when the heartbeat timeout is not above the interval, then loading fails", () => {
		expect(() => loadConfig({ HEARTBEAT_INTERVAL_S: "5", HEARTBEAT_TIMEOUT_S: "5" })).toThrow(/HEARTBEAT_TIMEOUT_S/);
	});
});
