import type mysql from "mysql2/promise";

export interface InvariantExpectation {
	database: string;
	sku: string;
	initialStock: number;
	/** Successful reserve replies the clients received for this SKU (warm-up and drain included). */
	successfulReplies: number;
}

export interface InvariantReport {
	/** False when the approach keeps no stock (the no-op ceiling): nothing to check. */
	checked: boolean;
	ok: boolean;
	/** One line per broken rule; empty when ok. */
	problems: string[];
	stock: { available: number; reserved: number; confirmed: number };
	reservationRows: number;
}

/**
 * Reads the committed state of one SKU and checks what no approach may ever break: no unit made
 * or lost (available + reserved + confirmed = initial), `reserved` is exactly the sum of RESERVED
 * rows, every successful reply has its row and no row lacks a reply, nothing negative.
 */
export async function checkInvariant(conn: mysql.Connection, expected: InvariantExpectation): Promise<InvariantReport> {
	const [stockRows] = await conn.query<mysql.RowDataPacket[]>(
		`SELECT available, reserved, confirmed FROM \`${expected.database}\`.stock WHERE sku = ?`,
		[expected.sku],
	);
	const [reservationRows] = await conn.query<mysql.RowDataPacket[]>(
		`SELECT COUNT(*) AS rowCount, COALESCE(SUM(CASE WHEN status = 'RESERVED' THEN quantity ELSE 0 END), 0) AS reservedUnits
		 FROM \`${expected.database}\`.reservations WHERE sku = ?`,
		[expected.sku],
	);
	const row = stockRows[0];
	const stock = {
		available: Number(row?.available ?? Number.NaN),
		reserved: Number(row?.reserved ?? Number.NaN),
		confirmed: Number(row?.confirmed ?? Number.NaN),
	};
	const rowCount = Number(reservationRows[0]?.rowCount ?? 0);
	const reservedUnits = Number(reservationRows[0]?.reservedUnits ?? 0);

	const problems: string[] = [];
	if (!row) problems.push(`no stock row for ${expected.sku}`);
	const total = stock.available + stock.reserved + stock.confirmed;
	if (total !== expected.initialStock) {
		problems.push(`available+reserved+confirmed = ${total}, initial stock was ${expected.initialStock}`);
	}
	if (stock.reserved !== reservedUnits)
		problems.push(`reserved = ${stock.reserved}, RESERVED rows hold ${reservedUnits}`);
	if (rowCount !== expected.successfulReplies) {
		problems.push(`${rowCount} reservation rows, ${expected.successfulReplies} successful replies`);
	}
	for (const [name, value] of Object.entries(stock)) {
		if (value < 0) problems.push(`${name} is negative (${value})`);
	}
	return { checked: true, ok: problems.length === 0, problems, stock, reservationRows: rowCount };
}

/** The report of an approach that keeps no stock. */
export function notChecked(): InvariantReport {
	return {
		checked: false,
		ok: true,
		problems: [],
		stock: { available: 0, reserved: 0, confirmed: 0 },
		reservationRows: 0,
	};
}
