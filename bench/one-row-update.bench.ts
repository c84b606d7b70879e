/**
 * The database's own ceiling for one hot row: `UPDATE ... SET v = v + 1 WHERE id = 1` in autocommit,
 * from BENCH_CONNECTIONS (20) connections in a closed loop, durable commits. `../shared/FACTS.md`
 * records this figure for this kind of machine ("one-row autocommit UPDATE ... with 20 connections"),
 * so running it here says how this box's MariaDB compares with that one before any of our code is
 * involved. Changes nothing outside its own database.
 *
 *   node --import tsx bench/one-row-update.bench.ts   (BENCH_CONNECTIONS=20 BENCH_SECONDS=5 BENCH_RUNS=3)
 */
import type mysql from "mysql2/promise";
import { connectBenchDatabase } from "./support/bench-database";
import { cleanUp, cleanUpOnExit, onCleanup } from "./support/cleanup";
import { median } from "./support/median";
import { openOwnDatabase } from "./support/own-database";
import { numberFrom, readSettings } from "./support/settings";

const env = process.env;
const settings = readSettings(env);
const CONNECTIONS = numberFrom(env, "BENCH_CONNECTIONS", 20);
const SECONDS = numberFrom(env, "BENCH_SECONDS", 5);
const RUNS = numberFrom(env, "BENCH_RUNS", 3);

async function updatesPerSecond(connections: mysql.Connection[]): Promise<number> {
	let updates = 0;
	const end = performance.now() + SECONDS * 1000;
	await Promise.all(
		connections.map(async (conn) => {
			while (performance.now() < end) {
				await conn.query("UPDATE hot_row SET v = v + 1 WHERE id = 1");
				updates++;
			}
		}),
	);
	return updates / SECONDS;
}

async function main(): Promise<void> {
	cleanUpOnExit();
	const { admin, database, flush } = await openOwnDatabase("one_row", settings);
	await admin.query(`CREATE TABLE \`${database}\`.hot_row (id INT PRIMARY KEY, v BIGINT NOT NULL) ENGINE=InnoDB`);
	await admin.query(`INSERT INTO \`${database}\`.hot_row VALUES (1, 0)`);

	const connections = await Promise.all(
		Array.from({ length: CONNECTIONS }, async () => {
			const conn = await connectBenchDatabase(settings.databaseUrl);
			await conn.query(`USE \`${database}\``);
			return conn;
		}),
	);
	onCleanup("close update connections", async () => {
		await Promise.all(connections.map((c) => c.end()));
	});
	process.stdout.write(
		`one-row autocommit UPDATE: ${CONNECTIONS} connections over TCP, innodb_flush_log_at_trx_commit=${flush}, ${SECONDS} s per run\n`,
	);
	const rates: number[] = [];
	for (let run = 1; run <= RUNS; run++) {
		const rate = await updatesPerSecond(connections);
		rates.push(rate);
		process.stdout.write(`run ${run}: ${Math.round(rate)} updates/s\n`);
	}
	process.stdout.write(`median: ${Math.round(median(rates))} updates/s\n`);
}

main()
	.catch((err: Error) => {
		process.stderr.write(`${err.stack ?? err.message}\n`);
		process.exitCode = 2;
	})
	.finally(async () => {
		await cleanUp();
	});
