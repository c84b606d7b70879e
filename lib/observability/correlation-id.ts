import type { Context } from "moleculer";

/** The request's correlation id (the gateway sets it as the request id), else the call's own id. */
export function correlationIdOf(ctx: Context): string {
	return ctx.requestID ?? ctx.id;
}
