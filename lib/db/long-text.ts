import { DataTypes, type QueryInterface } from "sequelize";

/**
 * A text column for large values: LONGTEXT on MariaDB/MySQL (TEXT stops at 64 KB), plain TEXT on SQLite,
 * whose TEXT has no size, and for which Sequelize warns on every start that it ignores the "long".
 */
export function longText(qi: QueryInterface) {
	return qi.sequelize.getDialect() === "sqlite" ? DataTypes.TEXT : DataTypes.TEXT("long");
}
