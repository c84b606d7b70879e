import { Errors } from "moleculer";

/** The one error shape every HTTP error leaves as. */
export interface ErrorBody {
	error: {
		status: number;
		code: string;
		message: string;
		correlationId: string;
		timestamp: string;
		details?: unknown;
	};
}

interface ErrorLike {
	name?: string;
	message?: string;
	code?: unknown;
	status?: unknown;
	type?: unknown;
	data?: unknown;
}

/** Moleculer error types whose HTTP status is not the one a client should see. */
const STATUS_BY_TYPE: Record<string, [number, string]> = {
	VALIDATION_ERROR: [400, "VALIDATION_ERROR"],
	SERVICE_NOT_FOUND: [503, "SERVICE_UNAVAILABLE"],
	SERVICE_NOT_AVAILABLE: [503, "SERVICE_UNAVAILABLE"],
	REQUEST_TIMEOUT: [504, "UPSTREAM_TIMEOUT"],
	QUEUE_FULL: [429, "QUEUE_FULL"],
	CIRCUIT_BREAKER_OPEN: [503, "SERVICE_UNAVAILABLE"],
};

/**
 * The gateway's fallback for a downstream service it cannot use now (services/gateway/service-fallback.ts):
 * 503 `SERVICE_UNAVAILABLE` whose details name the service and when to retry.
 */
export const SERVICE_FALLBACK = "SERVICE_FALLBACK";

/** Codes for 4xx errors raised without a type (moleculer-web's RateLimitExceeded). */
const CODE_BY_4XX: Record<number, string> = {
	429: "RATE_LIMITED",
};

/** Codes for 5xx errors raised without a type (moleculer-web's ServiceUnavailableError, say). */
const CODE_BY_5XX: Record<number, string> = {
	502: "BAD_GATEWAY",
	503: "SERVICE_UNAVAILABLE",
	504: "UPSTREAM_TIMEOUT",
};

/** Errors raised by the HTTP body parser (body-parser style `type`s). */
const BODY_PARSER_TYPES: Record<string, [number, string, string]> = {
	"entity.parse.failed": [400, "INVALID_JSON", "Request body is not valid JSON"],
	"entity.too.large": [413, "PAYLOAD_TOO_LARGE", "Request body is too large"],
	"encoding.unsupported": [415, "UNSUPPORTED_ENCODING", "Unsupported content encoding"],
	"charset.unsupported": [415, "UNSUPPORTED_CHARSET", "Unsupported charset"],
};

/** Validation details name the field and the rule; node ids and action names stay inside. */
function clientSafeValidation(data: unknown): unknown {
	if (!Array.isArray(data)) return data;
	return data.map((item: Record<string, unknown>) => ({
		field: item.field,
		type: item.type,
		message: item.message,
	}));
}

function classify(err: ErrorLike): { status: number; code: string; message: string; details?: unknown } {
	const type = typeof err.type === "string" ? err.type : "";
	const parserError = BODY_PARSER_TYPES[type];
	if (parserError) return { status: parserError[0], code: parserError[1], message: parserError[2] };
	if (type === SERVICE_FALLBACK) {
		return {
			status: 503,
			code: "SERVICE_UNAVAILABLE",
			message: err.message ?? "Service unavailable",
			details: err.data,
		};
	}

	const mapped = STATUS_BY_TYPE[type];
	if (mapped) {
		const details = type === "VALIDATION_ERROR" ? clientSafeValidation(err.data) : undefined;
		return { status: mapped[0], code: mapped[1], message: err.message ?? mapped[1], details };
	}

	const status = Number(err.code ?? err.status);
	if (Number.isInteger(status) && status >= 400 && status < 500) {
		return {
			status,
			code: type || (CODE_BY_4XX[status] ?? "BAD_REQUEST"),
			message: err.message ?? "Bad request",
			details: err.data,
		};
	}
	// Never leak internals of a 5xx to the client; the log has them.
	if (Number.isInteger(status) && status >= 500 && status < 600 && status !== 500) {
		return {
			status,
			code: type || (CODE_BY_5XX[status] ?? "SERVER_ERROR"),
			message: "The service could not complete the request",
		};
	}
	return { status: 500, code: "INTERNAL_ERROR", message: "Internal server error" };
}

/** Turns any thrown value into the standard error body and its HTTP status. */
export function toErrorBody(err: unknown, correlationId: string): ErrorBody {
	const { status, code, message, details } = classify((err ?? {}) as ErrorLike);
	const body: ErrorBody = {
		error: { status, code, message, correlationId, timestamp: new Date().toISOString() },
	};
	if (details !== undefined) body.error.details = details;
	return body;
}

/**
 * Runs `create` (an error's construction) without capturing a stack trace. For errors that are
 * answers rather than faults: a flash sale creates one per refused request, and capturing the stack
 * is most of what an error costs (the flash-sale profile in bench/RESULTS.md).
 */
export function withoutStackTrace<T>(create: () => T): T {
	const limit = Error.stackTraceLimit;
	Error.stackTraceLimit = 0;
	try {
		return create();
	} finally {
		Error.stackTraceLimit = limit;
	}
}

/**
 * Base for our 4xx errors: `type` is the stable code clients and tests branch on. They carry no stack
 * trace (see withoutStackTrace): they say what was wrong with the request, not where the code failed.
 */
export class ClientError extends Errors.MoleculerClientError {
	constructor(message: string, status: number, type: string, data?: unknown) {
		const limit = Error.stackTraceLimit;
		Error.stackTraceLimit = 0;
		try {
			super(message, status, type, data);
		} finally {
			Error.stackTraceLimit = limit;
		}
	}
}
