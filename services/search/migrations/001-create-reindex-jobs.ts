import { DataTypes } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";

/**
 * Reindex jobs, so any search node can answer for a job another one runs. `heartbeat_at` is touched
 * after every page: a RUNNING job whose node stopped touching it (killed mid-rebuild) is reported as
 * abandoned and no longer blocks a new one. Times are epoch ms.
 */
export const createReindexJobs: Migration = {
	name: "001-create-reindex-jobs",
	async up(qi) {
		await qi.createTable("reindex_jobs", {
			job_id: { type: DataTypes.STRING(36), primaryKey: true },
			status: { type: DataTypes.STRING(16), allowNull: false },
			processed: { type: DataTypes.INTEGER, allowNull: false },
			total: { type: DataTypes.INTEGER, allowNull: true },
			error: { type: DataTypes.STRING(500), allowNull: true },
			node_id: { type: DataTypes.STRING(128), allowNull: false },
			started_at: { type: DataTypes.BIGINT, allowNull: false },
			heartbeat_at: { type: DataTypes.BIGINT, allowNull: false },
			finished_at: { type: DataTypes.BIGINT, allowNull: true },
		});
		await qi.addIndex("reindex_jobs", ["status", "started_at"], { name: "reindex_jobs_status_started" });
	},
	async down(qi) {
		await qi.dropTable("reindex_jobs");
	},
};
