/**
 * The relay's sends of events inserted leased (right after their commits): a commit alone goes out at once;
 * commits that land while a send is under way share the next send. On MariaDB, with the real outbox table.
 */
import { migrate } from "../../../lib/db/migrator";
import { type EventEnvelope, newEvent } from "../../../lib/events/event-envelope";
import type { PublishOutcome } from "../../../lib/events/event-publisher";
import { outboxMigration } from "../../../lib/events/events-migrations";
import { OutboxRepository } from "../../../lib/events/outbox.repository";
import { OutboxRelay } from "../../../lib/events/outbox-relay";
import { infra } from "../../support/infra";
import { freshServiceDatabase } from "../../support/test-database";

const RELAY_OPTIONS = { claimBatch: 100, leaseMs: 30_000, maxAttempts: 5, backoffBaseMs: 100, backoffMaxMs: 1000 };

/** A broker stand-in at the publisher boundary: records each send; the first waits until `release()`. */
function heldPublisher() {
	const sends: EventEnvelope[][] = [];
	let release: () => void = () => undefined;
	const held = new Promise<void>((resolve) => {
		release = resolve;
	});
	const publish = async (envelopes: readonly EventEnvelope[]): Promise<PublishOutcome[]> => {
		sends.push([...envelopes]);
		if (sends.length === 1) await held;
		return envelopes.map(() => undefined);
	};
	return { sends, publish, release };
}

describe("outbox relay: sends of leased events", () => {
	const db = freshServiceDatabase({ DATABASE_URL: infra.databaseUrl }, "relaytest");

	it("when 30 commits land while the first commit's send is under way, then they go out together in one send and one mark", async () => {
		await migrate(db(), [outboxMigration]);
		const repository = new OutboxRepository(db());
		const publisher = heldPublisher();
		const marks: number[] = [];
		const relay = new OutboxRelay(repository, publisher.publish, RELAY_OPTIONS, {
			published: (count) => marks.push(count),
			attemptFailed: () => undefined,
		});
		const commitOne = async (key: string) => {
			let inserted: Awaited<ReturnType<OutboxRepository["insert"]>> | undefined;
			await db().transaction(async (tx) => {
				inserted = await repository.insert(
					tx,
					[newEvent("test.made.v1", key, { key }, key)],
					Date.now(),
					relay.newLease(),
				);
			});
			const { leased, queued } = inserted as NonNullable<typeof inserted>;
			// Wrapped, so awaiting the commit does not await the send.
			return { sent: relay.afterCommit(leased, queued) };
		};

		const first = await commitOne("k-0");
		await waitUntil(() => publisher.sends.length === 1);
		const later = await Promise.all(Array.from({ length: 30 }, (_, i) => commitOne(`k-${i + 1}`)));
		let sentLater = 0;
		for (const { sent } of later) void sent.finally(() => sentLater++);
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(publisher.sends).toHaveLength(1);
		expect(sentLater).toBe(0);
		expect(relay.busy).toBe(true);

		publisher.release();
		await first.sent;
		await Promise.all(later.map((l) => l.sent));
		expect(publisher.sends.map((s) => s.length)).toEqual([1, 30]);
		expect(marks).toEqual([1, 30]);
		expect(relay.busy).toBe(false);
		const [rows] = await db().query("SELECT status, COUNT(*) AS n FROM outbox_events GROUP BY status");
		expect(rows).toEqual([{ status: "PUBLISHED", n: 31 }]);
	});

	it("when a commit lands with nothing under way, then its events are sent at once", async () => {
		await migrate(db(), [outboxMigration]);
		const repository = new OutboxRepository(db());
		const sends: number[] = [];
		const relay = new OutboxRelay(
			repository,
			async (envelopes) => {
				sends.push(envelopes.length);
				return envelopes.map(() => undefined);
			},
			RELAY_OPTIONS,
			{ published: () => undefined, attemptFailed: () => undefined },
		);
		for (const key of ["a", "b"]) {
			let inserted: Awaited<ReturnType<OutboxRepository["insert"]>> | undefined;
			await db().transaction(async (tx) => {
				inserted = await repository.insert(
					tx,
					[newEvent("test.made.v1", key, {}, key), newEvent("test.made.v1", `${key}2`, {}, key)],
					Date.now(),
					relay.newLease(),
				);
			});
			const { leased, queued } = inserted as NonNullable<typeof inserted>;
			await relay.afterCommit(leased, queued);
		}
		expect(sends).toEqual([2, 2]);
	});
});

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error("condition not met in time");
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}
