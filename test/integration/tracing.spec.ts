import http from "node:http";
import type { AddressInfo } from "node:net";
import type { ServiceSchema } from "moleculer";
import gatewayService from "../../services/gateway/api.service";
import { startBroker, testConfig } from "../support/brokers";
import { gatewayBaseUrl } from "../support/http";

interface ZipkinSpan {
	traceId: string;
	name: string;
	tags?: Record<string, string>;
}

/** A stand-in Zipkin collector: we do not run Zipkin, so we receive what the exporter sends. */
async function startCollector(): Promise<{ url: string; spans: ZipkinSpan[]; close(): void }> {
	const spans: ZipkinSpan[] = [];
	const server = http.createServer((req, res) => {
		let body = "";
		req.on("data", (chunk) => {
			body += chunk;
		});
		req.on("end", () => {
			if (req.url === "/api/v2/spans") spans.push(...(JSON.parse(body) as ZipkinSpan[]));
			res.writeHead(202).end();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		spans,
		close: () => server.close(),
	};
}

const echo: ServiceSchema = { name: "echo", actions: { ping: () => "pong" } };

describe("tracing", () => {
	it("when ZIPKIN_URL is set, then spans of a request reach Zipkin under the request's correlation id", async () => {
		const collector = await startCollector();
		const config = testConfig({ ZIPKIN_URL: collector.url });
		const broker = await startBroker(config, [gatewayService(config), echo]);
		try {
			const res = await fetch(`${gatewayBaseUrl(broker)}/api/health`, {
				headers: { "x-correlation-id": "5f0c2a4e-8a51-4b8e-9f3e-2d7c1b6a9e40" },
			});
			expect(res.status).toBe(200);
			await broker.call("echo.ping", {}, { requestID: "0d9e8f7a-6b5c-4d3e-a2f1-0e9d8c7b6a59" });
			// The exporter batches spans and sends them on an interval.
			for (let i = 0; i < 100 && !collector.spans.some((s) => s.name.includes("echo.ping")); i++) {
				await new Promise((r) => setTimeout(r, 100));
			}
			// Zipkin trace ids are the first 16 hex digits of the request (correlation) id.
			const traceIds = new Set(collector.spans.map((s) => s.traceId));
			expect(traceIds).toContain("5f0c2a4e8a514b8e");
			expect(traceIds).toContain("0d9e8f7a6b5c4d3e");
			expect(collector.spans.find((s) => s.traceId === "0d9e8f7a6b5c4d3e")?.name).toContain("echo.ping");
		} finally {
			await broker.stop();
			collector.close();
		}
	});

	it("when ZIPKIN_URL is empty, then tracing is off", async () => {
		const broker = await startBroker(testConfig({}), [echo]);
		try {
			expect(broker.isTracingEnabled()).toBe(false);
		} finally {
			await broker.stop();
		}
	});
});
