import { inspect } from "node:util";
import { requestContext } from "./request-context";

interface LogBindings {
	nodeID?: string;
	ns?: string;
	mod?: string;
	svc?: string;
}

function stringify(arg: unknown): string {
	if (typeof arg === "string") return arg;
	if (arg instanceof Error) return arg.stack ?? `${arg.name}: ${arg.message}`;
	return inspect(arg, { depth: 4, breakLength: Number.POSITIVE_INFINITY });
}

/**
 * Moleculer Console-logger formatter that writes one JSON object per line, with the correlation,
 * trace and span ids of the request being served (when there is one).
 */
export function jsonLogFormatter(level: string, args: unknown[], bindings: LogBindings = {}): string[] {
	const ctx = requestContext.getStore();
	const line: Record<string, unknown> = {
		ts: new Date().toISOString(),
		level,
		msg: args.map(stringify).join(" "),
		nodeID: bindings.nodeID,
		mod: bindings.mod,
	};
	if (ctx) {
		line.correlationId = ctx.correlationId;
		line.traceId = ctx.traceId;
		line.spanId = ctx.spanId;
	}
	return [JSON.stringify(line)];
}
