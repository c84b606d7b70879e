import mysql from "mysql2/promise";
import { onCleanup } from "./cleanup";

/**
 * The local test server runs with innodb_flush_log_at_trx_commit=2 (fsync once a second), which
 * flatters every approach that commits per request. The bench measures durable commits (=1, the
 * MariaDB default) by switching the global setting for its duration through MariaDB's root unix
 * socket, and puts the old value back at the end (also on Ctrl-C). Other clients of the server see
 * slower commits meanwhile, nothing else. Returns the value in force for the run.
 */
export async function ensureDurableCommits(socketPath: string, current: number): Promise<number> {
	if (current === 1) return current;
	let root: mysql.Connection;
	try {
		root = await mysql.createConnection({ socketPath, user: "root" });
	} catch (err) {
		process.stderr.write(
			`[bench] WARNING: innodb_flush_log_at_trx_commit=${current} and MariaDB's root socket ${socketPath} is not usable (${(err as Error).message}); measuring NON-durable commits\n`,
		);
		return current;
	}
	await root.query("SET GLOBAL innodb_flush_log_at_trx_commit = 1");
	process.stderr.write(`[bench] innodb_flush_log_at_trx_commit ${current} -> 1 for this run (restored at the end)\n`);
	onCleanup("restore innodb_flush_log_at_trx_commit", async () => {
		await root.query("SET GLOBAL innodb_flush_log_at_trx_commit = ?", [current]);
		await root.end();
		process.stderr.write(`[bench] innodb_flush_log_at_trx_commit restored to ${current}\n`);
	});
	return 1;
}
