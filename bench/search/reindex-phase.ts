/**
 * Part 2 from the bench's side: one reindex node (../nodes/search-reindex-node.ts) per engine, each with fresh
 * databases (`shop_bench_<id>_*`), a fresh namespace and, for OpenSearch, a fresh alias `bench-<id>-...`.
 * The bench names them, so it drops them when the node ends, fails or is interrupted.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { OpenSearchEngine } from "../../services/search/engines/opensearch-engine";
import type { ReindexFigures } from "../nodes/search-reindex-node";
import { connectBenchDatabase, dropDatabasesWithPrefix } from "../support/bench-database";
import { onCleanup } from "../support/cleanup";
import type { EngineKey, SearchBenchSettings } from "./settings";

const ROOT = path.resolve(__dirname, "../..");
const RESULT_MARK = "BENCH_RESULT ";
/** Output lines kept to explain a failed node. */
const KEPT_LINES = 60;
const STOP_GRACE_MS = 10_000;

function runNode(env: Record<string, string>, nodeFlags: string[]): Promise<ReindexFigures> {
	const child = spawn(
		process.execPath,
		["--expose-gc", ...nodeFlags, "--import", "tsx", path.join(__dirname, "../nodes/search-reindex-node.ts")],
		{
			cwd: ROOT,
			env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
			stdio: ["ignore", "pipe", "pipe"],
		},
	);
	const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
	// Waits for the exit: the databases are dropped next, and a node still starting could create one after.
	const stopChild = onCleanup("stop the reindex node", async () => {
		if (child.exitCode !== null || child.signalCode !== null) return;
		child.kill("SIGTERM");
		const killLater = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
		await exited;
		clearTimeout(killLater);
	});
	const lines: string[] = [];
	let result: ReindexFigures | undefined;
	const read = (chunk: Buffer) => {
		for (const line of chunk.toString().split("\n").filter(Boolean)) {
			if (line.startsWith(RESULT_MARK)) result = JSON.parse(line.slice(RESULT_MARK.length)) as ReindexFigures;
			else lines.push(line);
		}
		if (lines.length > KEPT_LINES) lines.splice(0, lines.length - KEPT_LINES);
	};
	child.stdout.on("data", read);
	child.stderr.on("data", read);
	return new Promise((resolve, reject) => {
		child.once("exit", (code, signal) => {
			void stopChild();
			if (code === 0 && result) resolve(result);
			else reject(new Error(`the reindex node ended with ${signal ?? `exit ${code}`}:\n${lines.join("\n")}`));
		});
	});
}

export async function measureReindex(engine: EngineKey, settings: SearchBenchSettings): Promise<ReindexFigures> {
	const id = randomBytes(5).toString("hex");
	const dbPrefix = `shop_bench_${id}_`;
	const alias = `bench-${id}-reindex`;
	const admin = await connectBenchDatabase(settings.databaseUrl);
	const dropDatabases = onCleanup(`drop ${dbPrefix}* databases`, async () => {
		await dropDatabasesWithPrefix(admin, dbPrefix);
		await admin.end();
	});
	const dropIndexes =
		engine === "opensearch"
			? onCleanup(`drop OpenSearch indexes ${alias}-*`, async () => {
					const indexes = new OpenSearchEngine({ url: settings.searchUrl, indexPrefix: alias });
					await indexes.dropAllIndexes();
					await indexes.stop();
				})
			: async () => undefined;
	const env: Record<string, string> = {
		NODE_ENV: "development",
		NODE_ID: `bench-search-${id}`,
		NAMESPACE: `bench-search-${id}`,
		SERVICES: "products,search",
		DATABASE_URL: settings.databaseUrl,
		DB_NAME_PREFIX: dbPrefix,
		DATA_DIR: path.join(os.tmpdir(), `shop-bench-search-${id}`),
		METRICS_ENABLED: "false",
		LOG_LEVEL: "warn",
		SEED_DEMO_DATA: "false",
		...(engine === "opensearch" ? { SEARCH_URL: settings.searchUrl, SEARCH_INDEX: alias } : {}),
		...settings.nodeEnv,
		BENCH_REINDEX_SIZE: String(settings.reindexSize),
		BENCH_SAMPLE_MS: String(settings.sampleEveryMs),
	};
	const profile = settings.cpuProfileDir
		? [
				"--cpu-prof",
				`--cpu-prof-dir=${settings.cpuProfileDir}`,
				`--cpu-prof-name=search-reindex-${engine}-${id}.cpuprofile`,
			]
		: [];
	try {
		return await runNode(env, profile);
	} finally {
		await dropIndexes();
		await dropDatabases();
	}
}
