import type { NotificationRecord } from "./notifications.repository";

/** What the API answers for a message. Times ISO-8601. */
export interface NotificationView
	extends Omit<NotificationRecord, "createdAt" | "updatedAt" | "sentAt" | "nextAttemptAt"> {
	nextAttemptAt: string | null;
	createdAt: string;
	updatedAt: string;
	sentAt: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function notificationView(record: NotificationRecord): NotificationView {
	return {
		...record,
		nextAttemptAt: iso(record.nextAttemptAt),
		createdAt: new Date(record.createdAt).toISOString(),
		updatedAt: new Date(record.updatedAt).toISOString(),
		sentAt: iso(record.sentAt),
	};
}
