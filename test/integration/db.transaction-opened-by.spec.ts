/**
 * transactionOpenedBy on MariaDB: with the compound opening (START TRANSACTION and the first statement in one
 * round trip) and without it, the transaction is the same: open from the first statement, all or nothing.
 */
import { QueryTypes, type Sequelize } from "sequelize";
import { isUniqueViolation } from "../../lib/db/query-results";
import { transactionOpenedBy } from "../../lib/db/transaction-opened-by";
import { infra } from "../support/infra";
import { freshServiceDatabase } from "../support/test-database";

const insertMark = (id: string) => ({
	sql: "INSERT INTO marks (id) VALUES (?)",
	replacements: [id],
	expected: isUniqueViolation,
});

async function ids(db: Sequelize): Promise<string[]> {
	const rows = await db.query<{ id: string }>("SELECT id FROM marks ORDER BY id", { type: QueryTypes.SELECT });
	return rows.map((r) => r.id);
}

describe.each([
	["compound", true],
	["two statements", false],
])("transactionOpenedBy on MariaDB (%s)", (_label, compound) => {
	const db = freshServiceDatabase({ DATABASE_URL: infra.databaseUrl }, "txopen");
	beforeEach(async () => {
		await db().query("CREATE TABLE marks (id VARCHAR(32) PRIMARY KEY)");
		await db().query("CREATE TABLE notes (id VARCHAR(32) PRIMARY KEY)");
	});

	it("when the opening statement succeeds, then the body runs inside the transaction it opened and both commit", async () => {
		const result = await transactionOpenedBy(db(), compound, insertMark("m1"), async (tx, openingFailed) => {
			const [state] = await db().query<{ open: number }>("SELECT @@in_transaction AS open", {
				type: QueryTypes.SELECT,
				transaction: tx,
			});
			await db().query("INSERT INTO notes (id) VALUES ('n1')", { transaction: tx });
			return { openingFailed, open: Number(state?.open) };
		});
		expect(result).toEqual({ openingFailed: false, open: 1 });
		expect(await ids(db())).toEqual(["m1"]);
	});

	it("when the body fails, then the opening statement's write is rolled back with it", async () => {
		await expect(
			transactionOpenedBy(db(), compound, insertMark("m2"), async (tx) => {
				await db().query("INSERT INTO notes (id) VALUES ('n2')", { transaction: tx });
				throw new Error("the effect failed");
			}),
		).rejects.toThrow("the effect failed");
		expect(await ids(db())).toEqual([]);
		expect(await db().query("SELECT id FROM notes", { type: QueryTypes.SELECT })).toEqual([]);
	});

	it("when the opening statement fails as expected (a duplicate), then the body learns it inside an open transaction", async () => {
		await db().query("INSERT INTO marks (id) VALUES ('m3')");
		const result = await transactionOpenedBy(db(), compound, insertMark("m3"), async (tx, openingFailed) => {
			const [state] = await db().query<{ open: number }>("SELECT @@in_transaction AS open", {
				type: QueryTypes.SELECT,
				transaction: tx,
			});
			return { openingFailed, open: Number(state?.open) };
		});
		expect(result).toEqual({ openingFailed: true, open: 1 });
	});

	it("when the opening statement fails otherwise, then the error is thrown and the body never runs", async () => {
		let ran = false;
		await expect(
			transactionOpenedBy(
				db(),
				compound,
				{ sql: "INSERT INTO no_such_table (id) VALUES (?)", replacements: ["x"], expected: isUniqueViolation },
				async () => {
					ran = true;
				},
			),
		).rejects.toThrow(/no_such_table/);
		expect(ran).toBe(false);
		// The connection went back to the pool usable: the next transaction works.
		await transactionOpenedBy(db(), compound, insertMark("m4"), async () => undefined);
		expect(await ids(db())).toEqual(["m4"]);
	});
});
