import sqlite3 from "sqlite3";

const BUSY_TIMEOUT_MS = 5000;

/**
 * Sequelize opens a separate SQLite handle per transaction; a second writer then fails at once
 * with SQLITE_BUSY. Every handle made through this module waits for the lock instead.
 */
class BusyWaitingDatabase extends sqlite3.Database {
	constructor(filename: string, mode?: number, callback?: (err: Error | null) => void) {
		super(filename, mode as number, callback);
		this.configure("busyTimeout", BUSY_TIMEOUT_MS);
	}
}

export const sqliteModule = { ...sqlite3, Database: BusyWaitingDatabase };
