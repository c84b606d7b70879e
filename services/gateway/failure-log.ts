import type { IncomingMessage } from "node:http";
import type { Context, Logger } from "moleculer";
import type { ErrorBody } from "../../lib/errors";
import { requestContext } from "../../lib/observability/request-context";

type FailedRequest = IncomingMessage & { $ctx?: Context; originalUrl?: string };

/** `SequelizeDatabaseError (ER_NO_SUCH_TABLE): Table 'x' doesn't exist`: what failed, on one line. */
function describe(err: unknown): string {
	const e = err as { name?: string; type?: unknown; message?: string; nodeID?: string };
	const type = typeof e?.type === "string" && e.type ? ` (${e.type})` : "";
	const where = e?.nodeID ? ` on node ${e.nodeID}` : "";
	return `${e?.name ?? "Error"}${type}${where}: ${(e?.message ?? String(err)).split("\n")[0]}`;
}

/**
 * One line per request answered 5xx, in the request's context so the JSON line carries its
 * correlation id (the failure surfaces in moleculer-web's HTTP handler, outside the action's context).
 * The stack follows at debug: at info it would turn one failure into dozens of lines.
 */
export function logServerFailure(logger: Logger, req: FailedRequest, error: ErrorBody["error"], err: unknown): void {
	const ctx = req.$ctx;
	const ids = {
		correlationId: error.correlationId,
		traceId: ctx?.requestID ?? error.correlationId,
		spanId: ctx?.id ?? error.correlationId,
	};
	requestContext.run(ids, () => {
		logger.error(
			`${req.method} ${req.originalUrl ?? req.url} answered ${error.status} ${error.code}: ${describe(err)}`,
		);
		const stack = (err as { stack?: unknown })?.stack;
		if (typeof stack === "string") logger.debug(`Stack of ${error.correlationId}: ${stack}`);
	});
}
