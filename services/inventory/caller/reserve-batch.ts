import { Errors } from "moleculer";
import { withoutStackTrace } from "../../../lib/errors";

/** The wire format of `inventory.reserveBatch`: many reserves of one SKU in one call. */
export interface ReserveBatchItem {
	orderId: unknown;
	quantity: unknown;
}

export type ReserveBatchOutcome =
	| { ok: true; value: unknown }
	| {
			ok: false;
			error: { name: string; message: string; code: number; type: string; data?: unknown; retryable?: boolean };
	  };

export const RESERVE_ACTION = "inventory.reserve";
export const RESERVE_BATCH_ACTION = "inventory.reserveBatch";

/** Flattens an error for the wire (a rejected item must not fail its neighbours). */
export function errorOutcome(err: unknown): ReserveBatchOutcome {
	const e = err as {
		name?: string;
		message?: string;
		code?: number;
		type?: string;
		data?: unknown;
		retryable?: boolean;
	};
	return {
		ok: false,
		error: {
			name: e.name ?? "Error",
			message: e.message ?? "error",
			code: typeof e.code === "number" ? e.code : 500,
			type: e.type ?? "INTERNAL_ERROR",
			data: e.data,
			retryable: Boolean(e.retryable),
		},
	};
}

/**
 * Rebuilds a Moleculer error from its wire form, with the same type, code and data. Without a stack
 * trace: it would point here, not to where the owner decided, and a refused flash-sale request would
 * pay for it on every caller.
 */
export function reviveError(error: Extract<ReserveBatchOutcome, { ok: false }>["error"]): Error {
	return withoutStackTrace(() => {
		if (error.type === "VALIDATION_ERROR") {
			return new Errors.ValidationError(error.message, error.type, error.data as Record<string, unknown>);
		}
		if (error.retryable) return new Errors.MoleculerRetryableError(error.message, error.code, error.type, error.data);
		if (error.code >= 400 && error.code < 500) {
			return new Errors.MoleculerClientError(error.message, error.code, error.type, error.data);
		}
		return new Errors.MoleculerError(error.message, error.code, error.type, error.data);
	});
}
