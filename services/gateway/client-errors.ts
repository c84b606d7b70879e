import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { Socket } from "node:net";
import type { ErrorBody } from "../../lib/errors";

/**
 * Requests Node's HTTP parser refuses before any route sees them: headers or a URL over the server's
 * limit (431), or a malformed request (400). Node's default answer is a bare status line with no body;
 * ours is the standard error JSON, like every other 4xx (found by Schemathesis with a long query string).
 */
export function answerClientErrorsWithJson(server: Server): void {
	server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
		if (!socket.writable) {
			socket.destroy();
			return;
		}
		const tooLarge = err.code === "HPE_HEADER_OVERFLOW";
		const status = tooLarge ? 431 : 400;
		const code = tooLarge ? "HEADERS_TOO_LARGE" : "MALFORMED_REQUEST";
		const message = tooLarge ? "Request line and headers are too large" : "Malformed HTTP request";
		const answer: ErrorBody = {
			error: { status, code, message, correlationId: randomUUID(), timestamp: new Date().toISOString() },
		};
		const body = JSON.stringify(answer);
		socket.end(
			`HTTP/1.1 ${status} ${tooLarge ? "Request Header Fields Too Large" : "Bad Request"}\r\n` +
				"Content-Type: application/json; charset=utf-8\r\n" +
				`Content-Length: ${Buffer.byteLength(body)}\r\n` +
				"X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n" +
				body,
		);
	});
}
