import { ClientError } from "../../lib/errors";

export const SEARCH_UNAVAILABLE = "SEARCH_UNAVAILABLE";
export const REINDEX_JOB_NOT_FOUND = "REINDEX_JOB_NOT_FOUND";
export const REINDEX_RUNNING = "REINDEX_RUNNING";

/** The query text has characters a shopper's search never needs (query syntax, control characters). */
export class UnsupportedQueryError extends ClientError {
	constructor(field: string, message: string) {
		super(message, 400, "INVALID_SEARCH_QUERY", { field });
	}
}

export class ReindexJobNotFoundError extends ClientError {
	constructor(jobId: string) {
		super(`Reindex job ${jobId} not found`, 404, REINDEX_JOB_NOT_FOUND, { jobId });
	}
}

/** One rebuild at a time: a second would race the first for the alias. */
export class ReindexRunningError extends ClientError {
	constructor(jobId: string) {
		super(`Reindex job ${jobId} is still running`, 409, REINDEX_RUNNING, { jobId });
	}
}

/**
 * The engine did not answer or failed: 503 with Retry-After, never the engine's own error text (it
 * names hosts and indexes). The cause is logged by the service.
 */
export class SearchUnavailableError extends ClientError {
	constructor() {
		super("Search is unavailable, retry shortly", 503, SEARCH_UNAVAILABLE, { retryAfterS: 5 });
	}
}
