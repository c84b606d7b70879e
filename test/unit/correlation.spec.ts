import type { IncomingMessage } from "node:http";
import { jsonLogFormatter } from "../../lib/observability/json-log-formatter";
import { requestContext } from "../../lib/observability/request-context";
import { correlationIdOf } from "../../services/gateway/correlation-id";

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe("correlation ids", () => {
	it("when the caller sends a safe X-Correlation-Id, then it is kept", () => {
		expect(correlationIdOf(request({ "x-correlation-id": "order-42.retry:1" }))).toBe("order-42.retry:1");
	});

	it("when the header is missing or unsafe, then a fresh id replaces it", () => {
		const generated = correlationIdOf(request({}));
		expect(generated).toMatch(/^[0-9a-f-]{36}$/);
		const injected = correlationIdOf(request({ "x-correlation-id": "a\r\nSet-Cookie: x=1" }));
		expect(injected).not.toContain("Set-Cookie");
		expect(correlationIdOf(request({ "x-correlation-id": "x".repeat(500) }))).toHaveLength(36);
	});

	it("when a line is logged while serving a request, then it carries the request's ids", () => {
		const [line] = requestContext.run({ correlationId: "c-9", traceId: "t-9", spanId: "s-9" }, () =>
			jsonLogFormatter("info", ["reserved", { sku: "A" }], { nodeID: "n1", mod: "inventory" }),
		);
		const parsed = JSON.parse(line as string);
		expect(parsed).toMatchObject({
			level: "info",
			correlationId: "c-9",
			traceId: "t-9",
			spanId: "s-9",
			mod: "inventory",
		});
		expect(parsed.msg).toContain("reserved");
	});

	it("when a line is logged outside any request, then it has no correlation id", () => {
		const parsed = JSON.parse(jsonLogFormatter("warn", ["idle"])[0] as string);
		expect(parsed.correlationId).toBeUndefined();
	});
});
