import type { Sequelize, Transaction } from "sequelize";
import type { EventEnvelope } from "../../lib/events/event-envelope";
import type { OutboxMethods } from "../../mixins/outbox.mixin";

/**
 * Runs a catalog write and puts the event that announces it in the outbox, in one transaction: the
 * event is published if and only if the write committed. A `write` that throws (e.g. not found)
 * writes nothing.
 */
export function writeWithEvent<T>(
	service: { sequelize: Sequelize } & Pick<OutboxMethods, "writeEvents">,
	write: (tx: Transaction) => Promise<T>,
	eventOf: (written: T) => EventEnvelope,
): Promise<T> {
	return service.sequelize.transaction(async (tx) => {
		const written = await write(tx);
		await service.writeEvents(tx, [eventOf(written)]);
		return written;
	});
}
