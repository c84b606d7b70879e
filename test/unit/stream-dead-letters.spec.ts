/**
 * The pure parts of the JetStream and Redis Streams adapters' dead letters: reading stream entries as a
 * foreign producer may write them, and building headers NATS accepts from any error.
 */
import type { JsMsg } from "nats";
import { headers as natsHeaders } from "nats";
import { deadLetterHeaders as jetStreamDeadLetterHeaders } from "../../lib/events/nats-failed-message";
import { entriesOf, deadLetterHeaders as redisDeadLetterHeaders } from "../../lib/events/redis-stream-entry";

const parseJson = (bytes: Buffer) => JSON.parse(bytes.toString("utf8"));

function entry(id: string, ...fields: string[]): [Buffer, Buffer[]] {
	return [Buffer.from(id), fields.map((f) => Buffer.from(f))];
}

describe("Redis stream entries", () => {
	it("when a read reply holds entries, then each has its id, its payload bytes and its parsed headers", () => {
		const reply = [
			[
				Buffer.from("ns.sale"),
				[entry("1-0", "payload", "<xml>", "headers", '{"trace":"t"}'), entry("2-0", "payload", "{}")],
			],
		];
		expect(entriesOf(reply, parseJson)).toEqual([
			{ id: "1-0", payload: Buffer.from("<xml>"), headers: { trace: "t" } },
			{ id: "2-0", payload: Buffer.from("{}"), headers: undefined },
		]);
	});

	it("when a claim reply holds a deleted entry, then it is skipped", () => {
		const reply = [[Buffer.from("0-0"), [null, entry("3-0", "payload", "x")], []]];
		expect(entriesOf(reply, parseJson).map((e) => e.id)).toEqual(["3-0"]);
	});

	it("when the headers field is not a JSON object, then the entry carries why instead of headers", () => {
		const reply = [[Buffer.from("s"), [entry("1-0", "payload", "x", "headers", "[1]"), entry("2-0", "headers", "{")]]];
		const [array, broken] = entriesOf(reply, parseJson);
		expect(array).toMatchObject({ headers: undefined, headersError: expect.any(TypeError) });
		expect(broken).toMatchObject({
			payload: Buffer.alloc(0),
			headers: undefined,
			headersError: expect.any(SyntaxError),
		});
	});

	it("when a requeued entry is dead-lettered, then its group address is left out and where and why are added", () => {
		const headers = redisDeadLetterHeaders(
			{ channel: "ns.sale", group: "ledger", id: "5-1", headers: { trace: "t", "x-group": "ledger" } },
			new Error("boom"),
		);
		expect(headers).toMatchObject({
			trace: "t",
			"x-original-offset": "5-1",
			"x-original-id": "5-1",
			"x-original-channel": "ns.sale",
			"x-original-group": "ledger",
			"x-error-message": "boom",
			"x-error-name": "Error",
		});
		expect(headers).not.toHaveProperty("x-group");
	});
});

describe("JetStream dead-letter headers", () => {
	function jsMsg(headers: Record<string, string[]>): JsMsg {
		const h = natsHeaders();
		for (const [name, values] of Object.entries(headers)) for (const value of values) h.append(name, value);
		return { headers: h, seq: 42, info: { stream: "ns_sale" } } as unknown as JsMsg;
	}

	it("when an error has line breaks and control characters, then the headers hold it on one line", () => {
		const error = new SyntaxError("Unexpected token '<', \"<xml>\u0000\" is not valid JSON\nsecond line");
		const headers = jetStreamDeadLetterHeaders(
			{ channel: "ns.sale", group: "ledger", message: jsMsg({ trace: ["a", "b"], "x-group": ["ledger"] }) },
			error,
		);
		expect(headers.get("x-error-message")).toBe(
			"Unexpected token '<', \"<xml>\\u0000\" is not valid JSON\\nsecond line",
		);
		expect(headers.get("x-error-stack")).not.toMatch(/[\r\n]/);
		expect(headers.values("trace")).toEqual(["a", "b"]);
		expect(headers.has("x-group")).toBe(false);
		expect({
			stream: headers.get("x-original-stream"),
			offset: headers.get("x-original-offset"),
			channel: headers.get("x-original-channel"),
			group: headers.get("x-original-group"),
		}).toEqual({ stream: "ns_sale", offset: "42", channel: "ns.sale", group: "ledger" });
	});
});
