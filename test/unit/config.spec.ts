import { ConfigError, loadConfig } from "../../config";

describe("config", () => {
	it("when the environment is empty, then it runs the embedded single-process shop on 127.0.0.1:3000", () => {
		const config = loadConfig({});
		expect(config.embedded).toBe(true);
		expect(config.http).toEqual({
			host: "127.0.0.1",
			port: 3000,
			bodyLimitBytes: 65536,
			// 30 auth requests a minute per client address; the other routes unlimited.
			rateLimit: { windowMs: 60_000, auth: 30, api: 0 },
		});
		expect(config.transporter).toBe("");
		expect(config.db.url).toBe("");
		expect(config.services).toEqual([]);
		expect(config.metrics.host).toBe("127.0.0.1");
		expect(config.dataDir).toMatch(/data$/);
	});

	it("when HTTP_BODY_LIMIT names a size, then it is read in bytes with units of 1024, as body-parser reads it", () => {
		const bytes = ["512", "1.5kb", "64KB", "1mb"].map(
			(limit) => loadConfig({ HTTP_BODY_LIMIT: limit }).http.bodyLimitBytes,
		);
		expect(bytes).toEqual([512, 1536, 65536, 1048576]);
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
		["HTTP_BODY_LIMIT", "lots"],
		["HTTP_BODY_LIMIT", "0kb"],
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

	it("when the inventory's reservations would expire before the payment wait ends, then loading fails naming both", () => {
		expect(() => loadConfig({ INVENTORY_RESERVATION_TTL_S: "60", ORDER_PAYMENT_TIMEOUT_MS: "120000" })).toThrow(
			/INVENTORY_RESERVATION_TTL_S \(60 s\) must not be shorter than ORDER_PAYMENT_TIMEOUT_MS/,
		);
		// A node without orders has no payment wait to outlive.
		expect(loadConfig({ SERVICES: "inventory", INVENTORY_RESERVATION_TTL_S: "60" }).inventory.reservationTtlMs).toBe(
			60_000,
		);
		expect(loadConfig({ INVENTORY_RESERVATION_TTL_S: "120", ORDER_PAYMENT_TIMEOUT_MS: "120000" }).orders).toEqual({
			paymentTimeoutMs: 120_000,
			timeoutSweepMs: 10_000,
			admission: { maxLagMs: 10_000, maxLagging: 50, stallMs: 10_000, checkEveryMs: 250 },
		});
	});

	it("when back-pressure on orders is set, then 0 lagging orders turns it off and a negative count is refused", () => {
		expect(loadConfig({ ORDER_ADMISSION_MAX_LAGGING: "0" }).orders.admission.maxLagging).toBe(0);
		expect(() => loadConfig({ ORDER_ADMISSION_MAX_LAGGING: "-1" })).toThrow(/ORDER_ADMISSION_MAX_LAGGING/);
		expect(() => loadConfig({ ORDER_ADMISSION_CHECK_MS: "0" })).toThrow(/ORDER_ADMISSION_CHECK_MS/);
	});

	it("when a production node runs payments without its own webhook secret, then loading fails; other nodes need none", () => {
		const prod = { NODE_ENV: "production", JWT_SECRET: "a-production-secret-of-enough-length-1234" };
		expect(() => loadConfig({ ...prod, SERVICES: "payments" })).toThrow(/PAYMENTS_WEBHOOK_SECRET/);
		expect(loadConfig({ ...prod, SERVICES: "inventory" }).env).toBe("production");
		expect(loadConfig({ ...prod, PAYMENTS_WEBHOOK_SECRET: "whsec-prod" }).payments.webhookSecret).toBe("whsec-prod");
	});

	it("when a notifications node is to send by SMTP without a server, then loading fails; other nodes need none", () => {
		expect(() => loadConfig({ NOTIFY_PROVIDER: "smtp" })).toThrow(/SMTP_URL/);
		expect(() => loadConfig({ NOTIFY_PROVIDER: "smtp", SERVICES: "notifications" })).toThrow(/SMTP_URL/);
		expect(loadConfig({ NOTIFY_PROVIDER: "smtp", SERVICES: "orders" }).notifications.provider).toBe("smtp");
		expect(() => loadConfig({ SMTP_URL: "http://127.0.0.1:1025" })).toThrow(/SMTP_URL/);
		expect(loadConfig({ NOTIFY_PROVIDER: "smtp", SMTP_URL: "smtp://127.0.0.1:1025" }).notifications).toMatchObject({
			provider: "smtp",
			smtpUrl: "smtp://127.0.0.1:1025",
			maxAttempts: 5,
		});
	});

	it("when the heartbeat timeout is not above the interval, then loading fails", () => {
		expect(() => loadConfig({ HEARTBEAT_INTERVAL_S: "5", HEARTBEAT_TIMEOUT_S: "5" })).toThrow(/HEARTBEAT_TIMEOUT_S/);
	});
});
