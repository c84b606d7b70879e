import net from "node:net";

export interface HttpReply {
	status: number;
	body: string;
}

const HEADER_END = Buffer.from("\r\n\r\n");
const CRLF = Buffer.from("\r\n");

/** A complete response in `buffer`, or undefined while more bytes are needed. */
function parseResponse(buffer: Buffer): { reply: HttpReply; length: number } | undefined {
	const headerEnd = buffer.indexOf(HEADER_END);
	if (headerEnd < 0) return undefined;
	const head = buffer.subarray(0, headerEnd).toString("latin1");
	const status = Number(head.slice(9, 12));
	const bodyStart = headerEnd + HEADER_END.length;
	const contentLength = head.match(/\r\ncontent-length:\s*(\d+)/i);
	if (contentLength) {
		const end = bodyStart + Number(contentLength[1]);
		if (buffer.length < end) return undefined;
		return { reply: { status, body: buffer.subarray(bodyStart, end).toString() }, length: end };
	}
	if (!/\r\ntransfer-encoding:\s*chunked/i.test(head))
		throw new Error("response has neither Content-Length nor chunked body");
	const parts: Buffer[] = [];
	let at = bodyStart;
	for (;;) {
		const lineEnd = buffer.indexOf(CRLF, at);
		if (lineEnd < 0) return undefined;
		const size = Number.parseInt(buffer.subarray(at, lineEnd).toString("latin1"), 16);
		const dataEnd = lineEnd + CRLF.length + size;
		if (buffer.length < dataEnd + CRLF.length) return undefined;
		if (size === 0) return { reply: { status, body: Buffer.concat(parts).toString() }, length: dataEnd + CRLF.length };
		parts.push(buffer.subarray(lineEnd + CRLF.length, dataEnd));
		at = dataEnd + CRLF.length;
	}
}

/**
 * One keep-alive HTTP/1.1 connection carrying one request at a time. Node's `http` client costs
 * about as much CPU per request as the gateway itself; on a shared 2-core box that would measure
 * the load generator, so the bench writes requests and parses responses itself.
 */
class RawConnection {
	private socket: net.Socket | undefined;
	private buffer: Buffer = Buffer.alloc(0);
	private pending: { resolve(reply: HttpReply): void; reject(err: Error): void } | undefined;

	constructor(private readonly url: URL) {}

	request(head: string, body: string): Promise<HttpReply> {
		const socket = this.connected();
		return new Promise((resolve, reject) => {
			this.pending = { resolve, reject };
			socket.write(head + body);
		});
	}

	close(): void {
		this.socket?.destroy();
	}

	private connected(): net.Socket {
		if (this.socket && !this.socket.destroyed) return this.socket;
		const socket = net.connect({ host: this.url.hostname, port: Number(this.url.port), noDelay: true });
		socket.on("data", (chunk: Buffer) => this.receive(chunk));
		const fail = (err: Error) => {
			// A replaced socket may report its close late: it no longer concerns this connection.
			if (this.socket !== socket) return;
			this.socket = undefined;
			this.buffer = Buffer.alloc(0);
			this.settle()?.reject(err);
		};
		socket.on("error", fail);
		socket.on("close", () => fail(new Error("connection closed")));
		this.socket = socket;
		return socket;
	}

	private receive(chunk: Buffer): void {
		this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
		let parsed: ReturnType<typeof parseResponse>;
		try {
			parsed = parseResponse(this.buffer);
		} catch (err) {
			this.socket?.destroy(err as Error);
			return;
		}
		if (!parsed) return;
		this.buffer = this.buffer.subarray(parsed.length);
		this.settle()?.resolve(parsed.reply);
	}

	private settle() {
		const pending = this.pending;
		this.pending = undefined;
		return pending;
	}
}

/** `connections` keep-alive connections; a request takes a free one (callers keep at most that many in flight). */
export class RawHttpClient {
	private readonly idle: RawConnection[];

	private readonly hostHeader: string;

	constructor(
		url: URL,
		connections: number,
		private readonly headers: Record<string, string> = {},
	) {
		this.idle = Array.from({ length: connections }, () => new RawConnection(url));
		this.hostHeader = `${url.hostname}:${url.port}`;
	}

	async postJson(path: string, payload: unknown): Promise<HttpReply> {
		const connection = this.idle.pop();
		if (!connection) throw new Error("more requests in flight than connections");
		const body = JSON.stringify(payload);
		const extra = Object.entries(this.headers)
			.map(([name, value]) => `${name}: ${value}\r\n`)
			.join("");
		const head = `POST ${path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
		try {
			return await connection.request(head, body);
		} finally {
			this.idle.push(connection);
		}
	}

	close(): void {
		for (const connection of this.idle) connection.close();
	}
}
