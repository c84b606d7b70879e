/**
 * The HTTP ceiling: a bare Node HTTP server that reads a JSON body and answers 200 with a
 * reservation-shaped JSON reply, no framework, no transport, no storage. What the bench's HTTP load
 * reaches against it is the most any gateway can reach on this machine. Listens on 127.0.0.1:PORT.
 */
import http from "node:http";

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
	process.stderr.write("[http-echo] PORT must be a TCP port\n");
	process.exit(2);
}

const server = http.createServer((req, res) => {
	const chunks: Buffer[] = [];
	req.on("data", (chunk: Buffer) => chunks.push(chunk));
	req.on("end", () => {
		let body: { orderId?: string; sku?: string; quantity?: number };
		try {
			body = JSON.parse(Buffer.concat(chunks).toString());
		} catch {
			res.writeHead(400).end();
			return;
		}
		const reply = JSON.stringify({
			reservationId: `${body.orderId}:${body.sku}`,
			orderId: body.orderId,
			sku: body.sku,
			quantity: body.quantity,
			status: "RESERVED",
			expiresAt: new Date(Date.now() + 900_000).toISOString(),
		});
		res.writeHead(200, {
			"Content-Type": "application/json; charset=utf-8",
			"Content-Length": Buffer.byteLength(reply),
		});
		res.end(reply);
	});
});

server.listen(port, "127.0.0.1");
process.once("SIGTERM", () => server.close(() => process.exit(0)));
