import { QueryTypes, type Sequelize, UniqueConstraintError } from "sequelize";

export type ReindexStatus = "RUNNING" | "COMPLETED" | "FAILED";

export interface ReindexJob {
	jobId: string;
	/** RUNNING, COMPLETED or FAILED; a RUNNING job whose node went silent reads as FAILED ("abandoned"). */
	status: ReindexStatus;
	processed: number;
	/** The catalog's size when the job started (products added during the job make `processed` larger). */
	total: number | null;
	error: string | null;
	nodeId: string;
	startedAt: string;
	finishedAt: string | null;
}

interface JobRow {
	job_id: string;
	status: ReindexStatus;
	processed: number | string;
	total: number | string | null;
	error: string | null;
	node_id: string;
	started_at: number | string;
	heartbeat_at: number | string;
	finished_at: number | string | null;
}

/** A running job's node touches it after every page; this long without a touch, it is abandoned. */
export const ABANDONED_AFTER_MS = 60_000;

const COLUMNS = "job_id, status, processed, total, error, node_id, started_at, heartbeat_at, finished_at";

function toJob(row: JobRow, now: number): ReindexJob {
	const abandoned = row.status === "RUNNING" && now - Number(row.heartbeat_at) > ABANDONED_AFTER_MS;
	return {
		jobId: row.job_id,
		status: abandoned ? "FAILED" : row.status,
		processed: Number(row.processed),
		total: row.total === null ? null : Number(row.total),
		error: abandoned ? `abandoned: node ${row.node_id} stopped reporting progress` : row.error,
		nodeId: row.node_id,
		startedAt: new Date(Number(row.started_at)).toISOString(),
		finishedAt: row.finished_at === null ? null : new Date(Number(row.finished_at)).toISOString(),
	};
}

export class ReindexJobsRepository {
	constructor(private readonly db: Sequelize) {}

	/**
	 * Creates a RUNNING job holding `slot` (migrations/002-reindex-run-slot.ts), or answers the job that
	 * holds it: one INSERT against a unique key, so of two nodes claiming at once exactly one wins. A
	 * holder that stopped reporting progress (abandoned) gives the slot up first.
	 */
	async claim(
		slot: string,
		job: { jobId: string; nodeId: string; total: number },
		now = Date.now(),
	): Promise<{ claimed: true } | { claimed: false; holder: ReindexJob | undefined }> {
		await this.db.query("UPDATE reindex_jobs SET run_slot = NULL WHERE run_slot = ? AND heartbeat_at < ?", {
			replacements: [slot, now - ABANDONED_AFTER_MS],
		});
		try {
			await this.db.query(
				`INSERT INTO reindex_jobs (${COLUMNS}, run_slot) VALUES (?, 'RUNNING', 0, ?, NULL, ?, ?, ?, NULL, ?)`,
				{ replacements: [job.jobId, job.total, job.nodeId, now, now, slot] },
			);
			return { claimed: true };
		} catch (err) {
			if (!(err instanceof UniqueConstraintError)) throw err;
		}
		return { claimed: false, holder: await this.holderOf(slot, now) };
	}

	/** The job holding `slot`, if any (one abandoned still holds it until the next claim). */
	async holderOf(slot: string, now = Date.now()): Promise<ReindexJob | undefined> {
		const [holder] = await this.db.query<JobRow>(`SELECT ${COLUMNS} FROM reindex_jobs WHERE run_slot = ?`, {
			replacements: [slot],
			type: QueryTypes.SELECT,
		});
		return holder && toJob(holder, now);
	}

	async progress(jobId: string, processed: number, now = Date.now()): Promise<void> {
		await this.db.query("UPDATE reindex_jobs SET processed = ?, heartbeat_at = ? WHERE job_id = ?", {
			replacements: [processed, now, jobId],
		});
	}

	async finish(jobId: string, status: "COMPLETED" | "FAILED", error: string | null, now = Date.now()): Promise<void> {
		await this.db.query(
			"UPDATE reindex_jobs SET status = ?, error = ?, heartbeat_at = ?, finished_at = ?, run_slot = NULL WHERE job_id = ?",
			{ replacements: [status, error?.slice(0, 500) ?? null, now, now, jobId] },
		);
	}

	async find(jobId: string, now = Date.now()): Promise<ReindexJob | undefined> {
		const [row] = await this.db.query<JobRow>(`SELECT ${COLUMNS} FROM reindex_jobs WHERE job_id = ?`, {
			replacements: [jobId],
			type: QueryTypes.SELECT,
		});
		return row && toJob(row, now);
	}

	/** The job still running (not abandoned), if any; only `nodeId`'s when given. */
	async running(nodeId?: string, now = Date.now()): Promise<ReindexJob | undefined> {
		const byNode = nodeId === undefined ? "" : "AND node_id = ?";
		const rows = await this.db.query<JobRow>(
			`SELECT ${COLUMNS} FROM reindex_jobs WHERE status = 'RUNNING' AND heartbeat_at >= ? ${byNode} ORDER BY started_at DESC`,
			{
				replacements: nodeId === undefined ? [now - ABANDONED_AFTER_MS] : [now - ABANDONED_AFTER_MS, nodeId],
				type: QueryTypes.SELECT,
			},
		);
		return rows[0] && toJob(rows[0], now);
	}
}
