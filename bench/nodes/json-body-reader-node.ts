/**
 * The server side of `npm run bench:json-body`: one moleculer-web gateway with two routes to the same
 * stub action, `/body-parser/reserve` read by moleculer-web's body-parser and `/own/reserve` by our
 * reader (services/gateway/json-body.ts), so both are measured in one process, one run. Reports its
 * own CPU time when asked ("mark"), so the caller can charge each window to the route it loaded.
 */
import { type Context, ServiceBroker } from "moleculer";
import ApiGateway from "moleculer-web";
import { jsonBodyReader } from "../../services/gateway/json-body";

const port = Number(process.env.PORT);
const LIMIT_BYTES = 64 * 1024;

const broker = new ServiceBroker({ nodeID: `json-body-bench-${process.pid}`, logger: false, transporter: null });
broker.createService({
	name: "stub",
	actions: {
		reserve(ctx: Context<{ orderId: string; sku: string; quantity: number }>) {
			const { orderId, sku, quantity } = ctx.params;
			return { reservationId: `${orderId}:${sku}`, orderId, sku, quantity, status: "RESERVED" };
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
				path: "/body-parser",
				aliases: { "POST /reserve": "stub.reserve" },
				bodyParsers: { json: { strict: true, limit: LIMIT_BYTES } },
				logging: false,
			},
			{
				path: "/own",
				aliases: { "POST /reserve": "stub.reserve" },
				bodyParsers: false,
				use: [jsonBodyReader(LIMIT_BYTES)],
				logging: false,
			},
		],
		logRequest: null,
		logResponse: null,
	},
} as never);

void broker.start().then(() => process.send?.({ ready: true }));
process.on("message", (message: string) => {
	if (message === "mark") {
		const { user, system } = process.cpuUsage();
		process.send?.({ cpuMicros: user + system });
	} else if (message === "stop") {
		void broker.stop().then(() => process.exit(0));
	}
});
