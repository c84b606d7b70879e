/**
 * The gateway framework's ceiling: moleculer-web, the edge the design decided on, alone in one
 * process with a no-op action behind `POST /api/inventory/*`, read by the gateway's own JSON body
 * reader. No transport, no storage, none of the gateway's hooks. What the bench's HTTP load reaches
 * against it is the most a moleculer-web gateway can serve on this machine, before it calls anything.
 * Listens on 127.0.0.1:PORT.
 */
import { type Context, ServiceBroker } from "moleculer";
import ApiGateway from "moleculer-web";
import { jsonBodyReader } from "../../services/gateway/json-body";

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
	process.stderr.write("[moleculer-web no-op] PORT must be a TCP port\n");
	process.exit(2);
}
const RESERVATION_TTL_MS = 900_000;

const broker = new ServiceBroker({ nodeID: `moleculer-web-noop-${process.pid}`, logger: false, transporter: null });
broker.createService({
	name: "noop",
	actions: {
		reserve(ctx: Context<{ orderId: string; sku: string; quantity: number }>) {
			const { orderId, sku, quantity } = ctx.params;
			const expiresAt = new Date(Date.now() + RESERVATION_TTL_MS).toISOString();
			return { reservationId: `${orderId}:${sku}`, orderId, sku, quantity, status: "RESERVED", expiresAt };
		},
		setStock(ctx: Context<{ sku: string; available: number }>) {
			return { ...ctx.params, reserved: 0, confirmed: 0, version: 1 };
		},
	},
});
broker.createService({
	name: "api",
	mixins: [ApiGateway],
	settings: {
		port,
		ip: "127.0.0.1",
		routes: [
			{
				path: "/api/inventory",
				aliases: { "POST /reserve": "noop.reserve", "POST /stock": "noop.setStock" },
				bodyParsers: false,
				use: [jsonBodyReader(64 * 1024)],
				logging: false,
			},
		],
		logRequest: null,
		logResponse: null,
	},
} as never);

void broker.start();
process.once("SIGTERM", () => void broker.stop().then(() => process.exit(0)));
