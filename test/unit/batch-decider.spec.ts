import fc from "fast-check";
import { decideBatch } from "../../services/inventory/actor/batch-decider";
import type { InventoryCommand } from "../../services/inventory/actor/inventory-commands";
import type { Reservation, Stock } from "../../services/inventory/reservation";

const SKU = "SKU-1";
const TTL = 1000;

/** The sequential model: one command at a time, the simplest code that states the rules. */
class SequentialModel {
	stock: Stock | null;
	reservations = new Map<string, Reservation>();
	/** Everything ever set or added, as the invariant's right-hand side. */
	ledger: number;

	constructor(stock: Stock | null) {
		this.stock = stock ? { ...stock } : null;
		this.ledger = stock ? stock.available + stock.reserved + stock.confirmed : 0;
	}

	apply(c: InventoryCommand, now: number): string {
		const s = this.stock;
		const expire = (id: string) => {
			const r = this.reservations.get(id);
			if (s && r && r.status === "RESERVED" && r.expiresAt <= now) {
				r.status = "RELEASED";
				s.available += r.quantity;
				s.reserved -= r.quantity;
			}
			return r;
		};
		switch (c.kind) {
			case "reserve": {
				const r = expire(c.reservationId);
				if (r) return `ok:${r.status}:${r.quantity}`;
				if (!s) return "err:SKU_NOT_FOUND";
				if (c.quantity > s.available) return "err:INSUFFICIENT_STOCK";
				s.available -= c.quantity;
				s.reserved += c.quantity;
				this.reservations.set(c.reservationId, {
					reservationId: c.reservationId,
					orderId: c.orderId,
					sku: SKU,
					quantity: c.quantity,
					status: "RESERVED",
					expiresAt: now + TTL,
				});
				return `ok:RESERVED:${c.quantity}`;
			}
			case "release":
			case "confirm": {
				const target = c.kind === "release" ? "RELEASED" : "CONFIRMED";
				const r = expire(c.reservationId);
				if (!r || !s) return "err:RESERVATION_NOT_FOUND";
				if (r.status === target) return `ok:${r.status}:${r.quantity}`;
				if (r.status !== "RESERVED") return "err:INVALID_RESERVATION_STATE";
				r.status = target;
				s.reserved -= r.quantity;
				if (target === "RELEASED") s.available += r.quantity;
				else s.confirmed += r.quantity;
				return `ok:${r.status}:${r.quantity}`;
			}
			case "expire": {
				const r = expire(c.reservationId);
				return r ? `ok:${r.status}:${r.quantity}` : "err:RESERVATION_NOT_FOUND";
			}
			case "setAvailable":
			case "adjustAvailable": {
				this.stock ??= { sku: SKU, available: 0, reserved: 0, confirmed: 0, version: 0 };
				const before = this.stock.available;
				this.stock.available = c.kind === "setAvailable" ? c.available : Math.max(0, this.stock.available + c.delta);
				this.ledger += this.stock.available - before;
				return `ok:stock:${this.stock.available}`;
			}
		}
	}
}

const orderIds = fc.constantFrom("o1", "o2", "o3", "o4", "o5", "o6");
const command: fc.Arbitrary<InventoryCommand> = fc.oneof(
	{
		weight: 5,
		arbitrary: fc
			.record({ kind: fc.constant("reserve" as const), orderId: orderIds, quantity: fc.integer({ min: 1, max: 6 }) })
			.map((c) => ({ ...c, reservationId: `${c.orderId}:${SKU}` })),
	},
	{ weight: 2, arbitrary: orderIds.map((o) => ({ kind: "release" as const, reservationId: `${o}:${SKU}` })) },
	{ weight: 2, arbitrary: orderIds.map((o) => ({ kind: "confirm" as const, reservationId: `${o}:${SKU}` })) },
	{ weight: 1, arbitrary: orderIds.map((o) => ({ kind: "expire" as const, reservationId: `${o}:${SKU}` })) },
	{
		weight: 1,
		arbitrary: fc.integer({ min: 0, max: 20 }).map((available) => ({ kind: "setAvailable" as const, available })),
	},
	{
		weight: 1,
		arbitrary: fc
			.integer({ min: -10, max: 10 })
			.filter((d) => d !== 0)
			.map((delta) => ({ kind: "adjustAvailable" as const, delta })),
	},
);

function describeOutcome(o: ReturnType<typeof decideBatch>["outcomes"][number]): string {
	if (!o.ok) return `err:${o.error.type}`;
	return "status" in o.value ? `ok:${o.value.status}:${o.value.quantity}` : `ok:stock:${o.value.available}`;
}

describe("decideBatch against the sequential model", () => {
	it("when any commands are split into any batches, then outcomes and state equal one-at-a-time execution and the invariant holds", () => {
		fc.assert(
			fc.property(
				fc.array(command, { maxLength: 60 }),
				fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 60 }),
				fc.option(fc.integer({ min: 0, max: 15 }), { nil: null }),
				fc.array(fc.oneof(fc.integer({ min: 0, max: 700 }), fc.constantFrom(TTL - 1, TTL, TTL + 1)), {
					minLength: 1,
					maxLength: 60,
				}),
				(commands, batchSizes, initialAvailable, clockSteps) => {
					const initial: Stock | null =
						initialAvailable === null
							? null
							: { sku: SKU, available: initialAvailable, reserved: 0, confirmed: 0, version: 3 };
					const model = new SequentialModel(initial);
					let stock = initial;
					const reservations = new Map<string, Reservation>();
					let now = 1_000_000;
					let i = 0;
					let b = 0;
					while (i < commands.length) {
						const size = batchSizes[b % batchSizes.length] as number;
						now += clockSteps[b % clockSteps.length] as number;
						b++;
						const batch = commands.slice(i, i + size);
						i += size;

						const expected = batch.map((c) => model.apply(c, now));
						const decision = decideBatch({ sku: SKU, stock, reservations, now, reservationTtlMs: TTL }, batch);
						expect(decision.outcomes.map(describeOutcome)).toEqual(expected);

						// Commit: the version advances by exactly one when the row was written.
						if (decision.write.stock !== "none") {
							expect(decision.stock?.version).toBe((stock?.version ?? 0) + 1);
						} else {
							expect(decision.stock?.version).toBe(stock?.version);
						}
						for (const r of [...decision.write.inserted, ...decision.write.updated])
							reservations.set(r.reservationId, r);
						for (const r of decision.write.inserted) expect(reservations.has(r.reservationId)).toBe(true);
						stock = decision.stock;

						expect(stock && { a: stock.available, r: stock.reserved, c: stock.confirmed }).toEqual(
							model.stock && { a: model.stock.available, r: model.stock.reserved, c: model.stock.confirmed },
						);
						if (stock) {
							expect(Math.min(stock.available, stock.reserved, stock.confirmed)).toBeGreaterThanOrEqual(0);
							expect(stock.available + stock.reserved + stock.confirmed).toBe(model.ledger);
							const held = [...reservations.values()]
								.filter((r) => r.status === "RESERVED")
								.reduce((n, r) => n + r.quantity, 0);
							const sold = [...reservations.values()]
								.filter((r) => r.status === "CONFIRMED")
								.reduce((n, r) => n + r.quantity, 0);
							expect(stock.reserved).toBe(held);
							expect(stock.confirmed).toBe(sold);
						}
					}
				},
			),
			{ numRuns: 500 },
		);
	});

	it("when a batch only rejects, then nothing is written", () => {
		const stock: Stock = { sku: SKU, available: 0, reserved: 0, confirmed: 0, version: 7 };
		const decision = decideBatch({ sku: SKU, stock, reservations: new Map(), now: 0, reservationTtlMs: TTL }, [
			{ kind: "reserve", reservationId: `o1:${SKU}`, orderId: "o1", quantity: 1 },
		]);
		expect(decision.write).toEqual({ stock: "none", inserted: [], updated: [] });
		expect(decision.outcomes[0]).toMatchObject({ ok: false, error: { type: "INSUFFICIENT_STOCK" } });
	});

	it("when the same order reserves twice in one batch, then both get the one reservation", () => {
		const stock: Stock = { sku: SKU, available: 5, reserved: 0, confirmed: 0, version: 1 };
		const reserve = { kind: "reserve" as const, reservationId: `o1:${SKU}`, orderId: "o1", quantity: 2 };
		const decision = decideBatch({ sku: SKU, stock, reservations: new Map(), now: 0, reservationTtlMs: TTL }, [
			reserve,
			reserve,
		]);
		expect(decision.outcomes).toEqual([decision.outcomes[0], decision.outcomes[0]]);
		expect(decision.stock).toMatchObject({ available: 3, reserved: 2, version: 2 });
		expect(decision.write.inserted).toHaveLength(1);
	});
});
