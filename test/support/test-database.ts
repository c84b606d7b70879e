import mysql from "mysql2/promise";
import { infra } from "./infra";

/** A small mysql2 pool on the test MariaDB server (no database selected: queries name `db`.`table`). */
export function testServerPool(connectionLimit = 2): mysql.Pool {
	const url = new URL(infra.databaseUrl);
	return mysql.createPool({
		host: url.hostname,
		port: Number(url.port || 3306),
		user: decodeURIComponent(url.username),
		password: decodeURIComponent(url.password),
		connectionLimit,
	});
}
