import type { Sequelize } from "sequelize";

/** Reading Sequelize's results and errors the same way on MariaDB and SQLite. */

/** An INSERT hit a unique key (a duplicate). */
export function isUniqueViolation(err: unknown): boolean {
	return (err as { name?: string }).name === "SequelizeUniqueConstraintError";
}

/** Rows changed by an UPDATE ([rows, n]) or DELETE (n, or metadata) across dialects. */
export function affectedRows(result: unknown): number {
	if (typeof result === "number") return result;
	if (Array.isArray(result) && typeof result[1] === "number") return result[1];
	const changes = (result as { changes?: number; affectedRows?: number } | undefined) ?? {};
	return changes.affectedRows ?? changes.changes ?? 0;
}

/**
 * What a SELECT appends to lock its rows until the transaction ends: `FOR UPDATE` on MariaDB/MySQL,
 * nothing on SQLite (its writers already take turns, lib/db/sqlite-writes.ts).
 */
export function rowLockClause(db: Sequelize): string {
	return db.getDialect() === "sqlite" ? "" : " FOR UPDATE";
}
