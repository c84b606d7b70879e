import { Errors } from "moleculer";
import { ClientError, toErrorBody, withoutStackTrace } from "../../lib/errors";
import { reviveError } from "../../services/inventory/caller/reserve-batch";

describe("toErrorBody", () => {
	it("when a client error is thrown, then its status, type and message reach the client", () => {
		const body = toErrorBody(new ClientError("Only 3 left", 409, "INSUFFICIENT_STOCK", { available: 3 }), "c-1");
		expect(body.error).toMatchObject({
			status: 409,
			code: "INSUFFICIENT_STOCK",
			message: "Only 3 left",
			correlationId: "c-1",
		});
		expect(Date.parse(body.error.timestamp)).not.toBeNaN();
	});

	it("when parameters fail validation, then it is a 400 VALIDATION_ERROR with the details", () => {
		const err = new Errors.ValidationError("Parameters validation error!", "VALIDATION_ERROR", [
			{ field: "quantity", type: "number" },
		]);
		const body = toErrorBody(err, "c-2");
		expect(body.error.status).toBe(400);
		expect(body.error.code).toBe("VALIDATION_ERROR");
		expect(body.error.details).toEqual([{ field: "quantity", type: "number", message: undefined }]);
	});

	it.each([
		[{ type: "entity.parse.failed", status: 400 }, 400, "INVALID_JSON"],
		[{ type: "entity.too.large", status: 413 }, 413, "PAYLOAD_TOO_LARGE"],
		[new Errors.RequestTimeoutError({ action: "inventory.reserve", nodeID: "node-1" }), 504, "UPSTREAM_TIMEOUT"],
		[
			new Errors.QueueIsFullError({ action: "inventory.reserve", nodeID: "node-1", size: 10, limit: 10 }),
			429,
			"QUEUE_FULL",
		],
		[new Errors.ServiceNotAvailableError("inventory.reserve"), 503, "SERVICE_UNAVAILABLE"],
	])("when %p is thrown, then the client sees %i %s", (err, status, code) => {
		const body = toErrorBody(err, "c-3");
		expect(body.error.status).toBe(status);
		expect(body.error.code).toBe(code);
	});

	it("when an unexpected error is thrown, then it is a 500 that leaks nothing", () => {
		const body = toErrorBody(new TypeError("secret table shop_inventory.stock is on fire"), "c-4");
		expect(body.error).toMatchObject({ status: 500, code: "INTERNAL_ERROR", message: "Internal server error" });
		expect(JSON.stringify(body)).not.toContain("secret");
	});
});

describe("toErrorBody for 5xx without a type", () => {
	it("when moleculer-web reports a service unavailable (503, no type), then the client sees 503 SERVICE_UNAVAILABLE", () => {
		const body = toErrorBody({ name: "ServiceUnavailableError", message: "Service unavailable", code: 503 }, "c-5");
		expect(body.error).toMatchObject({ status: 503, code: "SERVICE_UNAVAILABLE" });
	});
});

describe("errors that are answers, not faults", () => {
	it("when a client error or a revived remote error is created, then it has no stack frames and other errors still get theirs", () => {
		const limit = Error.stackTraceLimit;
		const client = new ClientError("Only 3 left", 409, "INSUFFICIENT_STOCK", { available: 3 });
		const revived = reviveError({ name: "MoleculerClientError", message: "gone", code: 404, type: "SKU_NOT_FOUND" });
		const fault = new Error("a bug");

		expect(client.stack).not.toContain("\n    at ");
		expect(revived.stack).not.toContain("\n    at ");
		expect(revived).toMatchObject({ code: 404, type: "SKU_NOT_FOUND", message: "gone" });
		expect(fault.stack).toContain("\n    at ");
		expect(Error.stackTraceLimit).toBe(limit);
	});

	it("when creating the error throws, then stack traces are still captured afterwards", () => {
		const limit = Error.stackTraceLimit;
		expect(() =>
			withoutStackTrace(() => {
				throw new Error("in the constructor");
			}),
		).toThrow("in the constructor");
		expect(Error.stackTraceLimit).toBe(limit);
	});
});
