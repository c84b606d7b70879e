import type { Context, Middleware } from "moleculer";

type Handler = (ctx: Context) => Promise<unknown>;

import { requestContext } from "../lib/observability/request-context";

function contextOf(ctx: Context) {
	return {
		correlationId: ctx.requestID ?? ctx.id,
		// Moleculer uses the request id as the trace id and the context id as the span id.
		traceId: ctx.requestID ?? ctx.id,
		spanId: ctx.id,
	};
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
