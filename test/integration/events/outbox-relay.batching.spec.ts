/**
 * The relay marks what it published: a send alone is marked at once; sends that finish while a mark is under
 * way share the next UPDATE. Sends themselves are never merged. On MariaDB, with the real outbox table.
 */

import { Transaction } from "sequelize";
import { migrate } from "../../../lib/db/migrator";
import { type EventEnvelope, newEvent } from "../../../lib/events/event-envelope";
import type { PublishOutcome } from "../../../lib/events/event-publisher";
import { outboxMigration } from "../../../lib/events/events-migrations";
import { OutboxRepository } from "../../../lib/events/outbox.repository";
import { OutboxRelay } from "../../../lib/events/outbox-relay";
import { infra } from "../../support/infra";
import { freshServiceDatabase } from "../../support/test-database";

const RELAY_OPTIONS = { claimBatch: 100, leaseMs: 30_000, maxAttempts: 5, backoffBaseMs: 100, backoffMaxMs: 1000 };

describe("outbox relay: marking published events", () => {
	const db = freshServiceDatabase({ DATABASE_URL: infra.databaseUrl }, "relaytest");

	it("when 30 sends finish while the first send's mark waits on a row lock, then each was sent alone and all 30 share the next mark", async () => {
		await migrate(db(), [outboxMigration]);
		const repository = new OutboxRepository(db());
		const sends: EventEnvelope[][] = [];
		const publish = async (envelopes: readonly EventEnvelope[]): Promise<PublishOutcome[]> => {
			sends.push([...envelopes]);
			return envelopes.map(() => undefined);
		};
		const marks: number[] = [];
		const relay = new OutboxRelay(repository, publish, RELAY_OPTIONS, {
			published: (count) => marks.push(count),
			attemptFailed: () => undefined,
		});
		const insertOne = async (key: string) => {
			let inserted: Awaited<ReturnType<OutboxRepository["insert"]>> | undefined;
			await db().transaction(async (tx) => {
				inserted = await repository.insert(
					tx,
					[newEvent("test.made.v1", key, { key }, key)],
					Date.now(),
					relay.newLease(),
				);
			});
			return inserted as NonNullable<typeof inserted>;
		};
		// Wrapped, so awaiting the commit does not await the send and its mark.
		const commitOne = async (key: string) => {
			const { leased, queued } = await insertOne(key);
			return { sent: relay.afterCommit(leased, queued) };
		};

		// Another transaction holds the first event's row before its commit hands it to the relay: its mark (an UPDATE) waits.
		const k0 = await insertOne("k-0");
		// READ COMMITTED: a record lock only, no gap lock that would hold back the inserts below.
		const blocker = await db().transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.READ_COMMITTED });
		await db().query("SELECT id FROM outbox_events WHERE event_id = ? FOR UPDATE", {
			replacements: [k0.leased[0]?.eventId],
			transaction: blocker,
		});
		const first = { sent: relay.afterCommit(k0.leased, k0.queued) };
		await waitUntil(() => sends.length === 1);
		const later: Array<{ sent: Promise<void> }> = [];
		for (let i = 1; i <= 30; i++) later.push(await commitOne(`k-${i}`));
		await waitUntil(() => sends.length === 31);
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(marks).toEqual([]);
		expect(relay.busy).toBe(true);

		await blocker.commit();
		await first.sent;
		await Promise.all(later.map((l) => l.sent));
		expect(sends.map((s) => s.length)).toEqual(Array(31).fill(1));
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
