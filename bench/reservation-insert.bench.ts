/**
 * What one actor batch's reservation INSERT costs MariaDB, apart from everything else: the inventory's
 * real `reservations` table (created by its migrations), multi-row INSERTs of new reservations as the
 * actor writes them, on one connection, against a plain round trip. Prints medians; changes nothing
 * outside its own database.
 *
 *   node --import tsx bench/reservation-insert.bench.ts          (BENCH_INSERT_ROWS=10,100,400)
 */
import { randomUUID } from "node:crypto";
import { Sequelize } from "sequelize";
import { migrate } from "../lib/db/migrator";
import { inventoryMigrations } from "../services/inventory/migrations";
import { connectBenchDatabase, createBenchDatabase, dropDatabasesWithPrefix } from "./support/bench-database";
import { median } from "./support/median";

const DATABASE_URL = process.env.DATABASE_URL ?? "mysql://shop:shop@127.0.0.1:3306";
const ROWS = (process.env.BENCH_INSERT_ROWS ?? "10,100,400").split(",").map(Number);
/** Rows inserted per batch size: enough for a stable median, few enough for a minute's run. */
const ROWS_PER_SIZE = 40_000;

async function main(): Promise<void> {
	const prefix = `shop_bench_${randomUUID().replace(/-/g, "").slice(0, 10)}_`;
	const database = `${prefix}inventory`;
	const conn = await connectBenchDatabase(DATABASE_URL);
	try {
		await createBenchDatabase(conn, database);
		const sequelize = new Sequelize(`${DATABASE_URL}/${database}`, { logging: false });
		await migrate(sequelize, inventoryMigrations);
		await sequelize.close();
		await conn.query(`USE \`${database}\``);

		const trips: number[] = [];
		for (let i = 0; i < 2000; i++) {
			const t = performance.now();
			await conn.query("SELECT 1");
			trips.push(performance.now() - t);
		}
		const trip = median(trips);
		process.stdout.write(`round trip (SELECT 1): median ${trip.toFixed(3)} ms\n`);

		for (const rows of ROWS) {
			const times: number[] = [];
			const sku = `SKU-${randomUUID().slice(0, 8)}`;
			for (let batch = 0; batch < ROWS_PER_SIZE / rows; batch++) {
				const now = Date.now();
				const values = Array.from({ length: rows }, () => {
					const orderId = randomUUID();
					return [orderId, sku, 1, "RESERVED", now + 900_000, now, now];
				});
				const sql = `INSERT INTO reservations (order_id, sku, quantity, status, expires_at, created_at, updated_at) VALUES ${values.map(() => "(?, ?, ?, ?, ?, ?, ?)").join(", ")}`;
				const t = performance.now();
				await conn.query(sql, values.flat());
				times.push(performance.now() - t);
			}
			const ms = median(times);
			const perRow = ((ms - trip) * 1000) / rows;
			process.stdout.write(
				`INSERT of ${rows} reservations: median ${ms.toFixed(2)} ms, ${perRow.toFixed(1)} µs per row beyond the round trip\n`,
			);
		}
	} finally {
		await dropDatabasesWithPrefix(conn, prefix);
		await conn.end();
	}
}

main().catch((err: Error) => {
	process.stderr.write(`${err.stack ?? err.message}\n`);
	process.exit(2);
});
