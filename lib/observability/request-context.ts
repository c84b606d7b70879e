import { AsyncLocalStorage } from "node:async_hooks";

/** What every log line written while serving a request carries. */
export interface RequestContext {
	correlationId: string;
	traceId: string;
	spanId: string;
}

/**
 * Carries the current request's ids through async calls, so a log line written deep inside a
 * handler (or a library callback) still names the request it belongs to.
 */
export const requestContext = new AsyncLocalStorage<RequestContext>();
