import type { Context } from "moleculer";

/** The HTTP status the gateway answers an action's result with (moleculer-web reads `ctx.meta.$statusCode`). */
export function setReplyStatus(ctx: Context, status: number): void {
	(ctx.meta as Record<string, unknown>).$statusCode = status;
}

/**
 * 201 Created with the new resource's address in `Location` (moleculer-web reads `ctx.meta.$location`,
 * and logs a warning for every 201 without one).
 */
export function replyCreated(ctx: Context, location: string): void {
	setReplyStatus(ctx, 201);
	(ctx.meta as Record<string, unknown>).$location = location;
}
