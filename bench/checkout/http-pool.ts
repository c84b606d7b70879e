import net from "node:net";

/**
 * Keep-alive HTTP/1.1 connections that write requests and parse responses by hand, as
 * `support/raw-http-client.ts` does and for the same reason (Node's `http` client costs about as much
 * CPU per request as the gateway). The checkout bench needs what that client does not do: a header
 * per request (every shopper has their own token), GETs, and a pool that grows on demand (the open
 * loop does not bound its requests in flight).
 */
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
	if (!/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
		// A body-less reply (204, 304) has neither; anything else would be a server we do not speak to.
		if (status === 204 || status === 304) return { reply: { status, body: "" }, length: bodyStart };
		throw new Error("response has neither Content-Length nor chunked body");
	}
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

/** One keep-alive connection carrying one request at a time; reconnects when the server closed it. */
class Connection {
	private socket: net.Socket | undefined;
	private buffer: Buffer = Buffer.alloc(0);
	private pending: { resolve(reply: HttpReply): void; reject(err: Error): void } | undefined;

	constructor(private readonly url: URL) {}

	send(request: string): Promise<HttpReply> {
		const socket = this.connected();
		return new Promise((resolve, reject) => {
			this.pending = { resolve, reject };
			socket.write(request);
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

/**
 * Up to `maxConnections` keep-alive connections to one server, opened as requests need them; a
 * request beyond that waits for a free connection (its wait counts in its latency).
 */
export class HttpPool {
	private readonly idle: Connection[] = [];
	private readonly waiting: Array<(connection: Connection) => void> = [];
	private opened = 0;
	private readonly hostHeader: string;

	constructor(
		private readonly url: URL,
		private readonly maxConnections: number,
	) {
		this.hostHeader = `${url.hostname}:${url.port}`;
	}

	/**
	 * `headers` is ready-made header lines (`Name: value\r\n` each): built once per shopper, not per
	 * request. `body` is sent as JSON.
	 */
	async request(method: string, path: string, headers: string, body?: string): Promise<HttpReply> {
		const connection = await this.take();
		const payload =
			body === undefined
				? `${method} ${path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\n${headers}\r\n`
				: `${method} ${path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nContent-Type: application/json\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
		try {
			return await connection.send(payload);
		} finally {
			this.give(connection);
		}
	}

	close(): void {
		for (const connection of this.idle) connection.close();
		this.idle.length = 0;
	}

	private take(): Promise<Connection> | Connection {
		const idle = this.idle.pop();
		if (idle) return idle;
		if (this.opened < this.maxConnections) {
			this.opened++;
			return new Connection(this.url);
		}
		return new Promise((resolve) => this.waiting.push(resolve));
	}

	private give(connection: Connection): void {
		const next = this.waiting.shift();
		if (next) next(connection);
		else this.idle.push(connection);
	}
}

/** Header lines for a caller: the API version every route wants, and the bearer token when given. */
export function headerLines(token?: string): string {
	return `X-API-Version: v1\r\n${token ? `Authorization: Bearer ${token}\r\n` : ""}`;
}
