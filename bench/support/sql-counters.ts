import type mysql from "mysql2/promise";

/** Server-wide statement counters (SHOW GLOBAL STATUS); another client of the server adds to them too. */
export interface SqlCounters {
	statements: number;
	commits: number;
	selects: number;
}

export async function readSqlCounters(conn: mysql.Connection): Promise<SqlCounters> {
	const [rows] = await conn.query<mysql.RowDataPacket[]>(
		"SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_commit', 'Com_select')",
	);
	const value = (name: string) => Number(rows.find((row) => row.Variable_name === name)?.Value ?? 0);
	return { statements: value("Questions"), commits: value("Com_commit"), selects: value("Com_select") };
}

/** What the server did between two readings, less the one statement each reading costs. */
export function sqlDelta(from: SqlCounters, to: SqlCounters): SqlCounters {
	return {
		statements: to.statements - from.statements - 1,
		commits: to.commits - from.commits,
		selects: to.selects - from.selects,
	};
}
