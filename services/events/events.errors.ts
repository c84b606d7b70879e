import { ClientError } from "../../lib/errors";

/** Stable error types: clients and tests branch on these, never on messages. */
export const DEAD_LETTER_NOT_FOUND = "DEAD_LETTER_NOT_FOUND";
export const DEAD_LETTER_ALREADY_REQUEUED = "DEAD_LETTER_ALREADY_REQUEUED";
/** No service of that name is registered in the cluster. */
export const UNKNOWN_SERVICE = "UNKNOWN_SERVICE";
/** The service exists but produces no durable events (it has no OutboxMixin). */
export const OUTBOX_NOT_FOUND = "OUTBOX_NOT_FOUND";

export class DeadLetterNotFoundError extends ClientError {
	constructor(id: number) {
		super(`Dead letter ${id} does not exist`, 404, DEAD_LETTER_NOT_FOUND, { id });
	}
}

export class DeadLetterAlreadyRequeuedError extends ClientError {
	constructor(id: number) {
		super(`Dead letter ${id} was already requeued`, 409, DEAD_LETTER_ALREADY_REQUEUED, { id });
	}
}

export class UnknownServiceError extends ClientError {
	constructor(service: string) {
		super(`No service named ${service} is registered`, 404, UNKNOWN_SERVICE, { service });
	}
}

export class OutboxNotFoundError extends ClientError {
	constructor(service: string) {
		super(`Service ${service} has no outbox`, 404, OUTBOX_NOT_FOUND, { service });
	}
}
