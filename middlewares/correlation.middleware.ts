import type { Context, Middleware } from "moleculer";

import { correlationIdOf } from "../lib/observability/correlation-id";
import { requestContext } from "../lib/observability/request-context";

type Handler = (ctx: Context) => Promise<unknown>;

function contextOf(ctx: Context) {
	const correlationId = correlationIdOf(ctx);
	// Moleculer uses the request id as the trace id and the context id as the span id.
	return { correlationId, traceId: correlationId, spanId: ctx.id };
}

/**
 * Runs every local action and event handler inside the request's context, so log lines written
 * while serving it carry its correlation id (see json-log-formatter).
 */
export function CorrelationMiddleware(): Middleware {
	return {
		name: "Correlation",
		localAction(next: Handler) {
			return (ctx: Context) => requestContext.run(contextOf(ctx), () => next(ctx));
		},
		localEvent(next: Handler) {
			return (ctx: Context) => requestContext.run(contextOf(ctx), () => next(ctx));
		},
	} as Middleware;
}
