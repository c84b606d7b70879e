/**
 * What ShopKafkaAdapter needs to start and stop its consumers safely when a node is stopped while it
 * is still starting, or started while Kafka does not serve its topics yet (a fresh broker, topics
 * created a moment ago by this or another node).
 */
import type { Consumer } from "kafkajs";

/** How long a subscription keeps trying while Kafka does not serve its topic yet. */
export const SUBSCRIBE_RETRY_WITHIN_MS = 60_000;
/** Wait between two subscription attempts. */
export const SUBSCRIBE_RETRY_DELAY_MS = 1_000;

/**
 * kafkajs marks the errors worth trying again (`retriable`): "This server does not host this
 * topic-partition" and "There is no leader for this topic-partition" while a topic is being created,
 * a coordinator still loading, a connection refused. Anything else (bad configuration) fails at once.
 */
export function isRetriableKafkaError(err: unknown): boolean {
	const e = err as { retriable?: boolean; name?: string; cause?: unknown } | undefined;
	if (!e) return false;
	if (e.retriable === true || e.name === "KafkaJSNumberOfRetriesExceeded") return true;
	return e.cause !== undefined && e.cause !== err && isRetriableKafkaError(e.cause);
}

/**
 * kafkajs restarts a crashed consumer on its own, from a timer, unless `restartOnFailure` says no.
 * A restart that fires after the node began to stop would rejoin the group, take partitions and keep
 * the node from ever finishing its stop: so no restart once `closing()`.
 */
export function noRestartWhen(closing: () => boolean): { restartOnFailure: (err: Error) => Promise<boolean> } {
	return { restartOnFailure: async () => !closing() };
}

/**
 * A consumer that was disconnected while a restart was already joining its group: kafkajs lets that
 * join finish and starts consuming, without anyone left to stop it. Whenever such a consumer joins
 * after `closing()`, disconnect it again (after the join has returned: during it, a stop does not
 * leave the group), so it hands its partitions back.
 */
export function leaveIfJoinedWhileClosing(consumer: Consumer, closing: () => boolean): void {
	consumer.on(consumer.events.GROUP_JOIN, () => {
		if (!closing()) return;
		setTimeout(() => void consumer.disconnect().catch(() => undefined), 0);
	});
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}
