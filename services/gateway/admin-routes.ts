/**
 * Operator routes under `/api/admin`, all needing an access token with the admin role. They map to
 * the events service, which finds the producing service's own outbox actions.
 */
export { ADMIN_ROLE } from "../../lib/auth/caller";

export const ADMIN_ALIASES: Record<string, string> = {
	"GET /outbox": "events.outboxStatus",
	"GET /outbox/:service": "events.outboxStatusOf",
	"POST /outbox/:service/replay": "events.replayOutbox",
	"GET /dead-letters": "events.deadLetters",
	"POST /dead-letters/:id/requeue": "events.requeueDeadLetter",
};
