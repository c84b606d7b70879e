/** The notification service's durable events (through its outbox), keyed by the notification's id. */
export const NOTIFICATION_TOPIC = {
	/** A message that failed every delivery attempt: in the dead letters, for an operator to requeue. */
	deadLettered: "notification.dlq.v1",
	/** Something on-call should look at (today: a dead-lettered message), for an alert router to page on. */
	alert: "notification.alert.v1",
} as const;

/** `notification.dlq.v1` */
export interface NotificationDeadLetteredPayload {
	notificationId: number;
	/** The event the message was made for, and its type. */
	sourceEventId: string;
	sourceType: string;
	template: string;
	userId: string;
	attempts: number;
	lastError: string;
}

/** `notification.alert.v1` */
export interface NotificationAlertPayload {
	kind: "DEAD_LETTER";
	severity: "warning";
	summary: string;
	notificationId: number;
}
