import { DataTypes } from "sequelize";
import type { Migration } from "../../../lib/db/migrator";

/**
 * The slot a running rebuild holds: the shared engine's index name, or the node for an in-process
 * index. Unique, so two search nodes starting a rebuild of one shared index in the same moment cannot
 * both take it (the check-then-insert before this let both start, and the later superseded the earlier).
 * NULL once the job ended; any number of ended jobs share NULL.
 */
export const addReindexRunSlot: Migration = {
	name: "002-reindex-run-slot",
	async up(qi) {
		await qi.addColumn("reindex_jobs", "run_slot", { type: DataTypes.STRING(255), allowNull: true });
		await qi.addIndex("reindex_jobs", ["run_slot"], { name: "reindex_jobs_run_slot", unique: true });
	},
	async down(qi) {
		await qi.removeIndex("reindex_jobs", "reindex_jobs_run_slot");
		await qi.removeColumn("reindex_jobs", "run_slot");
	},
};
