import http from "node:http";
import type { ServiceBroker } from "moleculer";
import authService from "../../services/auth/auth.service";
import gatewayService from "../../services/gateway/api.service";
import inventoryService from "../../services/inventory/inventory.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { asOperator, ERROR_SHAPE, gatewayBaseUrl } from "../support/http";

interface RawReply {
	status: number;
	body: any;
	socket: unknown;
}

/**
 * The gateway's JSON body reader, through the real gateway and the inventory service (embedded
 * SQLite): each way a body can be unreadable gets its own 4xx in the standard error JSON, and
 * changes nothing.
 */
describe("the gateway's JSON body reader", () => {
	let broker: ServiceBroker;
	let base: string;
	let api: Awaited<ReturnType<typeof asOperator>>["api"];
	let stockViaGateway: Awaited<ReturnType<typeof asOperator>>["stockViaGateway"];
	let authorization: string;
	const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
	const sku = () => `SKU-${uniqueId()}`;

	beforeAll(async () => {
		const config = testConfig({ DB_NAME_PREFIX: `shop_t${uniqueId()}_`, HTTP_BODY_LIMIT: "1kb" });
		broker = await startBroker(config, [gatewayService(config), authService(config), inventoryService(config)]);
		base = gatewayBaseUrl(broker);
		({ api, stockViaGateway, authorization } = await asOperator(config.auth));
	});
	afterAll(async () => {
		agent.destroy();
		await broker?.stop();
	});

	/** A reserve sent as the given chunks (chunked unless a Content-Length is given) with the given headers. */
	function rawReserve(chunks: Array<string | Buffer>, headers: Record<string, string>): Promise<RawReply> {
		return new Promise((resolve, reject) => {
			const req = http.request(
				`${base}/api/inventory/reserve`,
				{ method: "POST", agent, headers: { "x-api-version": "v1", authorization, ...headers } },
				(res) => {
					let text = "";
					res.setEncoding("utf8");
					res.on("data", (part) => {
						text += part;
					});
					res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), socket: req.socket }));
				},
			);
			req.on("error", reject);
			for (const chunk of chunks) req.write(chunk);
			req.end();
		});
	}

	const json = { "content-type": "application/json" };
	const cases = [
		{ name: "a body that is not JSON", chunks: ["{not json"], headers: json, status: 400, code: "INVALID_JSON" },
		{ name: "a JSON string instead of an object", chunks: ['"o-1"'], headers: json, status: 400, code: "INVALID_JSON" },
		{
			name: "a body over the limit, announced by Content-Length",
			chunks: ["x".repeat(1025)],
			headers: { ...json, "content-length": "1025" },
			status: 413,
			code: "PAYLOAD_TOO_LARGE",
		},
		{
			name: "a chunked body that grows over the limit",
			chunks: Array.from({ length: 5 }, () => " ".repeat(300)),
			headers: json,
			status: 413,
			code: "PAYLOAD_TOO_LARGE",
		},
		{
			name: "a charset other than UTF-8",
			chunks: ["{}"],
			headers: { "content-type": "application/json; charset=latin1" },
			status: 415,
			code: "UNSUPPORTED_CHARSET",
		},
		{
			name: "a compressed body",
			chunks: ["{}"],
			headers: { ...json, "content-encoding": "gzip" },
			status: 415,
			code: "UNSUPPORTED_ENCODING",
		},
		{
			name: "no JSON content type (the body is not read)",
			chunks: ['{"orderId":"o","quantity":1}'],
			headers: { "content-type": "text/plain" },
			status: 400,
			code: "VALIDATION_ERROR",
		},
	];

	it.each(cases)(
		"when a reserve has $name, then it is $status $code and the stock is unchanged",
		async ({ chunks, headers, status, code }) => {
			const s = sku();
			await api(base, "POST", "/api/inventory/stock", { sku: s, available: 5 });
			const reply = await rawReserve(chunks, headers);
			expect(reply.body).toMatchObject(ERROR_SHAPE);
			expect([reply.status, reply.body.error.status, reply.body.error.code]).toEqual([status, status, code]);
			expect(await stockViaGateway(base, s)).toEqual({ sku: s, available: 5, reserved: 0, confirmed: 0, version: 1 });
		},
	);

	it("when a body is refused as too large, then the same keep-alive connection answers the next request", async () => {
		const s = sku();
		await api(base, "POST", "/api/inventory/stock", { sku: s, available: 5 });
		const refused = await rawReserve(["y".repeat(4000)], json);
		const next = await rawReserve([JSON.stringify({ orderId: `o-${uniqueId()}`, sku: s, quantity: 2 })], json);
		expect([refused.status, next.status]).toEqual([413, 200]);
		expect(next.socket).toBe(refused.socket);
		expect(await stockViaGateway(base, s)).toMatchObject({ available: 3, reserved: 2 });
	});

	it("when a UTF-8 body arrives with a character split across chunks, then it is read whole", async () => {
		const s = sku();
		// An order id may be any printable text (a SKU may not: lib/text-patterns.ts), so the split character is in it.
		const orderId = `o-Épée-${uniqueId()}`;
		await api(base, "POST", "/api/inventory/stock", { sku: s, available: 5 });
		const bytes = Buffer.from(JSON.stringify({ orderId, sku: s, quantity: 1 }));
		const split = bytes.indexOf(Buffer.from("É")) + 1;
		const reply = await rawReserve([bytes.subarray(0, split), bytes.subarray(split)], {
			"content-type": "Application/JSON; charset=UTF-8",
		});
		expect([reply.status, reply.body.orderId]).toEqual([200, orderId]);
		expect(await stockViaGateway(base, s)).toMatchObject({ available: 4, reserved: 1 });
	});
});
