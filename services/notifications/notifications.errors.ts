import { ClientError } from "../../lib/errors";

export const NOTIFICATION_NOT_FOUND = "NOTIFICATION_NOT_FOUND";
export const NOTIFICATION_NOT_DEAD = "NOTIFICATION_NOT_DEAD";

export class NotificationNotFoundError extends ClientError {
	constructor(id: number) {
		super(`Notification ${id} not found`, 404, NOTIFICATION_NOT_FOUND, { id });
	}
}

/** Only a dead letter can be requeued: this one was sent, is still being tried, or was requeued already. */
export class NotificationNotDeadError extends ClientError {
	constructor(id: number, status: string) {
		super(`Notification ${id} is ${status}, not a dead letter`, 409, NOTIFICATION_NOT_DEAD, { id, status });
	}
}
