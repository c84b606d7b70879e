/**
 * The inventory's database path alone: one hot SKU's SkuActor and InventoryRepository on MariaDB, in
 * this process, with callers that reserve in a closed loop and no Moleculer, NATS or load generator
 * in between. It tells how far the actor and the durable commit go on their own, next to what
 * `npm run bench:inventory` measures through the transport. Callers come in groups that submit
 * together (as the caller-side batching middleware sends them: two groups per SKU in flight).
 * Changes nothing outside its own database; durable commits as in the main bench.
 *
 * BENCH_TRANSPORT_MS makes each group wait before it submits again, as the round trip through NATS
 * would, without that round trip's CPU.
 *
 *   npm run bench:actor-path   (BENCH_INFLIGHT=200 BENCH_GROUPS=2 BENCH_SECONDS=6 BENCH_RUNS=3 BENCH_TRANSPORT_MS=0)
 */
import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { Sequelize } from "sequelize";
import { migrate } from "../lib/db/migrator";
import { type ActorObserver, SkuActor } from "../services/inventory/actor/sku-actor";
import { inventoryMigrations } from "../services/inventory/migrations";
import { InventoryRepository } from "../services/inventory/storage/inventory.repository";
import { cleanUp, cleanUpOnExit, onCleanup } from "./support/cleanup";
import { CpuMeter, infraProcesses } from "./support/cpu-meter";
import { median } from "./support/median";
import { openOwnDatabase } from "./support/own-database";
import { numberFrom, readSettings } from "./support/settings";

const env = process.env;
/** Where the database is and whether commits are made durable: as for `npm run bench:inventory`. */
const settings = readSettings(env);
const INFLIGHT = numberFrom(env, "BENCH_INFLIGHT", 200);
const GROUPS = numberFrom(env, "BENCH_GROUPS", 2);
const SECONDS = numberFrom(env, "BENCH_SECONDS", 6);
const RUNS = numberFrom(env, "BENCH_RUNS", 3);
/** Stands in for the transport: each group waits this long before it submits again (0: at once). */
const TRANSPORT_MS = numberFrom(env, "BENCH_TRANSPORT_MS", 0);
const WARMUP_MS = 1500;
const SKU = "SKU-HOT";

interface RunResult {
	perSecond: number;
	nodeUs: number;
	mariaDbUs: number;
	meanBatch: number;
}

async function runOnce(db: Sequelize): Promise<RunResult> {
	await db.query("DELETE FROM reservations");
	await db.query("DELETE FROM stock");
	const repository = await InventoryRepository.open(db, { compoundCommit: true });
	let batches = 0;
	let batched = 0;
	const observer: ActorObserver = {
		batchCommitted: (size) => {
			batches++;
			batched += size;
		},
		fenceLost: () => undefined,
		duplicateReservation: () => undefined,
		staleStateFound: () => undefined,
		soldOutRejected: () => undefined,
		batchFailed: (_sku, err) => process.stderr.write(`[bench] batch failed: ${err.message}\n`),
	};
	const actor = new SkuActor(
		SKU,
		repository,
		{
			maxBatch: 500,
			mailboxDepth: 10_000,
			reservationTtlMs: 900_000,
			reservationCacheLimit: 50_000,
			maxFenceRetries: 5,
		},
		observer,
	);
	await actor.submit({ kind: "setAvailable", available: 1_000_000_000 });

	let next = 0;
	let reserved = 0;
	let stopped = false;
	const groupSize = Math.ceil(INFLIGHT / GROUPS);
	const group = async () => {
		while (!stopped) {
			if (TRANSPORT_MS > 0) await sleep(TRANSPORT_MS);
			const calls = Array.from({ length: groupSize }, () => {
				const orderId = `o-${next++}`;
				return actor.submit({ kind: "reserve", reservationId: `${orderId}:${SKU}`, orderId, quantity: 1 });
			});
			await Promise.all(calls);
			reserved += groupSize;
		}
	};
	const loops = Array.from({ length: GROUPS }, group);
	await sleep(WARMUP_MS);

	const meter = new CpuMeter(
		[{ name: "node", pid: process.pid }, ...infraProcesses().filter((p) => p.name === "MariaDB")],
		os.cpus().length,
	);
	const before = meter.snapshot();
	const [reservedBefore, batchesBefore, batchedBefore, started] = [reserved, batches, batched, performance.now()];
	await sleep(SECONDS * 1000);
	const used = meter.usage(before, meter.snapshot()).seconds;
	const count = reserved - reservedBefore;
	const elapsed = (performance.now() - started) / 1000;
	const result = {
		perSecond: count / elapsed,
		nodeUs: ((used.node ?? 0) * 1e6) / count,
		mariaDbUs: ((used.MariaDB ?? 0) * 1e6) / count,
		meanBatch: (batched - batchedBefore) / Math.max(1, batches - batchesBefore),
	};
	stopped = true;
	await Promise.all(loops);
	return result;
}

async function main(): Promise<void> {
	cleanUpOnExit();
	const { database, flush } = await openOwnDatabase("actor_path", settings);
	const db = new Sequelize(`${settings.databaseUrl}/${database}`, { logging: false, pool: { max: 10 } });
	onCleanup("close the actor's database", () => db.close());
	await migrate(db, inventoryMigrations);
	process.stdout.write(
		`actor path alone: ${INFLIGHT} in flight in ${GROUPS} groups, ${TRANSPORT_MS} ms between a group's answer and its next call, innodb_flush_log_at_trx_commit=${flush}, ${SECONDS} s per run\n`,
	);
	const results: RunResult[] = [];
	for (let run = 1; run <= RUNS; run++) {
		const r = await runOnce(db);
		results.push(r);
		process.stdout.write(
			`run ${run}: ${Math.round(r.perSecond)} reservations/s, mean batch ${r.meanBatch.toFixed(1)}, CPU per reservation: this node ${r.nodeUs.toFixed(1)} µs, MariaDB ${r.mariaDbUs.toFixed(1)} µs\n`,
		);
	}
	process.stdout.write(
		`median: ${Math.round(median(results.map((r) => r.perSecond)))} reservations/s, this node ${median(results.map((r) => r.nodeUs)).toFixed(1)} µs, MariaDB ${median(results.map((r) => r.mariaDbUs)).toFixed(1)} µs per reservation\n`,
	);
}

main()
	.catch((err: Error) => {
		process.stderr.write(`${err.stack ?? err.message}\n`);
		process.exitCode = 2;
	})
	.finally(() => cleanUp());
