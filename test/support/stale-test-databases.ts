import { testServerPool } from "./test-database";

/** Prefixes of the databases tests create (`shop_t<id>_`, `shop_ev<id>_`, `shop_bench_<id>_` is the bench's own). */
const TEST_DATABASE = /^shop_(t|ev)[0-9a-f]{12}_/;
/** Old enough that no test run still uses it (a whole run takes minutes). */
const STALE_AFTER_H = 2;

/**
 * Drops the databases earlier test runs left behind on the test MariaDB (specs create a fresh set per
 * run and most do not drop them). Only databases whose newest table is older than STALE_AFTER_H hours:
 * a run in progress next to this one keeps its own. Returns how many were dropped.
 */
export async function dropStaleTestDatabases(): Promise<number> {
	const pool = testServerPool(1);
	try {
		const [rows] = await pool.query(
			`SELECT table_schema AS name, MAX(create_time) AS newest FROM information_schema.tables
			 WHERE table_schema LIKE 'shop\\_%' GROUP BY table_schema
			 HAVING MAX(create_time) < NOW() - INTERVAL ? HOUR`,
			[STALE_AFTER_H],
		);
		const stale = (rows as Array<{ name: string }>).map((r) => r.name).filter((name) => TEST_DATABASE.test(name));
		for (const name of stale) await pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
		return stale.length;
	} finally {
		await pool.end();
	}
}
