import type { Context } from "moleculer";

/** The HTTP status the gateway answers an action's result with (moleculer-web reads `ctx.meta.$statusCode`). */
export function setReplyStatus(ctx: Context, status: number): void {
	(ctx.meta as Record<string, unknown>).$statusCode = status;
}
