/**
 * kafkajs 2.2.4's RequestQueue (unmaintained upstream: tulios/kafkajs#1751, #1704) schedules a check of its
 * pending requests after every answer, even with none pending and no throttle: `throttledUntil` starts at
 * -1, so the delay is `-1 - Date.now()`. Node 24 warns about the negative delay (TimeoutNegativeWarning on
 * every node start), runs it after 1 ms, and the check schedules the next one: every broker connection
 * polls itself every millisecond for as long as it is open. This is the fix proposed upstream (#1768's
 * review): with nothing pending, a check is scheduled only while a throttle is still running. A request
 * that has to wait is pushed to `pending` and schedules its own check, and every answer runs one, so no
 * pending request is left unchecked.
 */
interface RequestQueue {
	pending: unknown[];
	throttledUntil: number;
	throttleCheckTimeoutId: NodeJS.Timeout | null;
	checkPendingRequests(): void;
	scheduleCheckPendingRequests(): void;
}

/** kafkajs's own interval for a queue with pending requests and no throttle. */
const CHECK_PENDING_REQUESTS_INTERVAL = 10;
const FIXED = Symbol.for("shop.kafkajs.requestQueueFixed");

function scheduleCheckPendingRequests(this: RequestQueue): void {
	if (this.throttleCheckTimeoutId) return;
	const untilUnthrottled = this.throttledUntil - Date.now();
	if (this.pending.length === 0 && untilUnthrottled <= 0) return;
	const delay = untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL;
	this.throttleCheckTimeoutId = setTimeout(() => {
		this.throttleCheckTimeoutId = null;
		this.checkPendingRequests();
	}, delay);
}

/** Installs the fix once per process (kafkajs keeps one RequestQueue class for every client). */
export function fixKafkajsRequestQueue(): void {
	const RequestQueueClass: {
		prototype: RequestQueue & { [FIXED]?: true };
	} = require("kafkajs/src/network/requestQueue");
	const proto = RequestQueueClass.prototype;
	if (proto[FIXED]) return;
	proto.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
	proto[FIXED] = true;
}
