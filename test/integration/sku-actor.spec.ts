import { migrate } from "../../lib/db/migrator";
import { type ActorObserver, SkuActor } from "../../services/inventory/actor/sku-actor";
import { inventoryMigrations } from "../../services/inventory/migrations";
import { InventoryRepository } from "../../services/inventory/storage/inventory.repository";
import { uniqueId } from "../support/brokers";
import { infra } from "../support/infra";
import { freshServiceDatabase } from "../support/test-database";

describe.each([
	["MariaDB", { DATABASE_URL: infra.databaseUrl }],
	["SQLite", {}],
])("a SKU's actor on %s", (_label, env) => {
	const database = freshServiceDatabase(env, "inventory");
	beforeEach(() => migrate(database(), inventoryMigrations));

	async function startActor(sku: string, reservationCacheLimit = 50_000) {
		const counts = { soldOutRejects: 0, failedBatches: 0, fencesLost: 0, duplicateReservations: 0 };
		const observer: ActorObserver = {
			batchCommitted: () => undefined,
			fenceLost: () => counts.fencesLost++,
			duplicateReservation: () => counts.duplicateReservations++,
			staleStateFound: () => undefined,
			soldOutRejected: () => counts.soldOutRejects++,
			batchFailed: () => counts.failedBatches++,
		};
		const repository = await InventoryRepository.open(database(), { compoundCommit: true });
		const actor = new SkuActor(
			sku,
			repository,
			{ maxBatch: 500, mailboxDepth: 10_000, reservationTtlMs: 900_000, reservationCacheLimit, maxFenceRetries: 5 },
			observer,
		);
		return { actor, counts, repository };
	}

	/** `callers` closed loops of `each` reserves of 1 unit; the outcome of every call, by kind. */
	async function storm(actor: SkuActor, sku: string, callers: number, each: number): Promise<Map<string, number>> {
		const outcomes = new Map<string, number>();
		const count = (kind: string) => outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
		await Promise.all(
			Array.from({ length: callers }, async (_, caller) => {
				for (let i = 0; i < each; i++) {
					const orderId = `c${caller}-${i}`;
					try {
						await actor.submit({ kind: "reserve", reservationId: `${orderId}:${sku}`, orderId, quantity: 1 });
						count("RESERVED");
					} catch (err) {
						count((err as { type: string }).type);
					}
				}
			}),
		);
		return outcomes;
	}

	it("when a SKU sells out in the middle of a storm, then the refusals that follow are answered from memory though batches never pause", async () => {
		const sku = `STORM-${uniqueId()}`;
		const { actor, counts } = await startActor(sku);
		await actor.submit({ kind: "setAvailable", available: 50 });

		const outcomes = await storm(actor, sku, 100, 20);

		expect(Object.fromEntries(outcomes)).toEqual({ RESERVED: 50, INSUFFICIENT_STOCK: 1950 });
		// Only the calls that arrived while the last units were committing went through a batch.
		expect(counts.soldOutRejects).toBeGreaterThan(1700);
		expect(counts.failedBatches).toBe(0);
	});

	it("when a SKU with more reservations than the actor keeps in memory sells out in a storm, then it reads which orders hold one and refuses the rest from memory", async () => {
		const sku = `BIGSTORM-${uniqueId()}`;
		const { actor, counts } = await startActor(sku, 20);
		await actor.submit({ kind: "setAvailable", available: 200 });

		const outcomes = await storm(actor, sku, 100, 30);

		expect(Object.fromEntries(outcomes)).toEqual({ RESERVED: 200, INSUFFICIENT_STOCK: 2800 });
		expect(counts.soldOutRejects).toBeGreaterThan(2000);
		// Every early order still gets its own reservation back, not a refusal.
		const again = await storm(actor, sku, 100, 2);
		expect(again.get("RESERVED")).toBe(200);
	});

	it("when an order reserves again after its reservation left the actor's memory, then the batch is redone as a duplicate reservation, not as a lost fence", async () => {
		const sku = `REPEAT-${uniqueId()}`;
		// Room for one reservation in memory: the first order's is trimmed once later batches commit.
		const { actor, counts, repository } = await startActor(sku, 1);
		const reserve = (orderId: string, quantity: number) =>
			actor.submit({ kind: "reserve", reservationId: `${orderId}:${sku}`, orderId, quantity });
		await actor.submit({ kind: "setAvailable", available: 10 });
		const first = await reserve("first", 3);
		for (let i = 0; i < 4; i++) await reserve(`filler-${i}`, 1);

		// Taken for a new order (no lookup), its INSERT meets the stored row; redone with a lookup.
		expect(await reserve("first", 3)).toEqual(first);

		expect(counts.duplicateReservations).toBe(1);
		expect(counts.fencesLost).toBe(0);
		expect(counts.failedBatches).toBe(0);
		expect(await repository.findStock(sku)).toMatchObject({ available: 3, reserved: 7 });
	});
});
