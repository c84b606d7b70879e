import { randomUUID } from "node:crypto";
import type mysql from "mysql2/promise";
import { connectBenchDatabase, createBenchDatabase, dropDatabasesWithPrefix, serverFacts } from "./bench-database";
import { onCleanup } from "./cleanup";
import { ensureDurableCommits } from "./durable-commits";
import type { BenchSettings } from "./settings";

export interface OwnDatabase {
	/** The bench's connection to the server (no database selected). */
	admin: mysql.Connection;
	/** `shop_bench_<id>_<name>`, created empty. */
	database: string;
	/** innodb_flush_log_at_trx_commit in force for the run (1 = durable). */
	flush: number;
}

/**
 * A database of one bench script's own, on a server whose commits are made durable for the run
 * (unless BENCH_DURABLE=0). The undo steps are registered: at cleanUp the setting is restored, the
 * database dropped and the connection closed.
 */
export async function openOwnDatabase(
	name: string,
	settings: Pick<BenchSettings, "databaseUrl" | "forceDurable" | "mariadbRootSocket">,
): Promise<OwnDatabase> {
	const prefix = `shop_bench_${randomUUID().replace(/-/g, "").slice(0, 10)}_`;
	const admin = await connectBenchDatabase(settings.databaseUrl);
	onCleanup("close bench connection", () => admin.end());
	onCleanup("drop bench database", async () => {
		await dropDatabasesWithPrefix(admin, prefix);
	});
	const current = (await serverFacts(admin)).flushLogAtTrxCommit;
	const flush = settings.forceDurable ? await ensureDurableCommits(settings.mariadbRootSocket, current) : current;
	const database = `${prefix}${name}`;
	await createBenchDatabase(admin, database);
	return { admin, database, flush };
}
