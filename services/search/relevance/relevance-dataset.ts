import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SearchDocument } from "../engines/search-engine";
import type { Grade, GradedProduct } from "./relevance-metrics";

/**
 * The curated relevance dataset and the catalog it is judged against, both JSON files beside this
 * module. Loading validates their shape and names the bad entry, so a hand edit that breaks the
 * dataset fails loudly rather than skewing the figures.
 */

export const RELEVANCE_DATASET_FILE = join(__dirname, "dataset.json");
export const CATALOG_FIXTURE_FILE = join(__dirname, "catalog-fixture.json");

export const QUERY_INTENTS = [
	"exact-name",
	"partial",
	"typo",
	"sku",
	"category-word",
	"multi-word",
	"description-only",
	"prefix",
] as const;
export type QueryIntent = (typeof QUERY_INTENTS)[number];

export interface RelevanceQuery {
	query: string;
	intent: QueryIntent;
	expected: GradedProduct[];
}

export interface RelevanceDataset {
	/** The day the judgements were last reviewed against the catalog (YYYY-MM-DD, UTC). */
	curatedAt: string;
	description: string;
	queries: RelevanceQuery[];
}

/** A product of the fixture catalog: a SearchDocument before it has an id and a version. */
export type CatalogFixtureProduct = Omit<SearchDocument, "id" | "version">;

// The products service's own rules for these fields (services/products/products.params.ts), upper-case SKUs only.
const SKU_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,63}$/;
const CATEGORY_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
const CURATED_AT_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const MAX_NAME_LENGTH = 200;
const GRADES: readonly number[] = [1, 2, 3];

/** Thrown when a dataset or fixture file does not have the expected shape. */
export class RelevanceDataError extends Error {
	override name = "RelevanceDataError";
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
	return typeof value === "string" && value.trim().length > 0;
}

/** A real calendar day: "2026-02-30" matches the pattern but is not one. */
function isCalendarDay(value: string): boolean {
	if (!CURATED_AT_PATTERN.test(value)) return false;
	const date = new Date(`${value}T00:00:00Z`);
	return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

function parseExpected(raw: unknown, where: string): GradedProduct {
	if (!isRecord(raw)) throw new RelevanceDataError(`${where} must be an object { sku, grade }`);
	const { sku, grade } = raw;
	if (typeof sku !== "string" || !SKU_PATTERN.test(sku)) {
		throw new RelevanceDataError(`${where}.sku must be an upper-case SKU, got ${JSON.stringify(sku)}`);
	}
	if (typeof grade !== "number" || !GRADES.includes(grade)) {
		throw new RelevanceDataError(`${where}.grade must be 1, 2 or 3, got ${JSON.stringify(grade)}`);
	}
	return { sku, grade: grade as Grade };
}

function parseQuery(raw: unknown, index: number): RelevanceQuery {
	const at = `queries[${index}]`;
	if (!isRecord(raw)) throw new RelevanceDataError(`${at} must be an object`);
	const { query, intent, expected } = raw;
	if (!isNonEmptyString(query)) throw new RelevanceDataError(`${at}.query must be a non-empty string`);
	const where = `${at} (${JSON.stringify(query)})`;
	if (!QUERY_INTENTS.includes(intent as QueryIntent)) {
		throw new RelevanceDataError(
			`${where}.intent must be one of ${QUERY_INTENTS.join(", ")}, got ${JSON.stringify(intent)}`,
		);
	}
	if (!Array.isArray(expected) || expected.length === 0) {
		throw new RelevanceDataError(`${where}.expected must be a non-empty array`);
	}
	const judgements = expected.map((e, i) => parseExpected(e, `${where}.expected[${i}]`));
	const seen = new Set<string>();
	for (const { sku } of judgements) {
		if (seen.has(sku)) throw new RelevanceDataError(`${where}.expected lists ${sku} twice`);
		seen.add(sku);
	}
	return { query, intent: intent as QueryIntent, expected: judgements };
}

/** Validates a parsed dataset.json; throws a RelevanceDataError naming the first bad entry. */
export function parseRelevanceDataset(raw: unknown): RelevanceDataset {
	if (!isRecord(raw)) throw new RelevanceDataError("the dataset must be an object");
	const { curatedAt, description, queries } = raw;
	if (typeof curatedAt !== "string" || !isCalendarDay(curatedAt)) {
		throw new RelevanceDataError(`curatedAt must be a day as YYYY-MM-DD, got ${JSON.stringify(curatedAt)}`);
	}
	if (typeof description !== "string") throw new RelevanceDataError("description must be a string");
	if (!Array.isArray(queries) || queries.length === 0) {
		throw new RelevanceDataError("queries must be a non-empty array");
	}
	return { curatedAt, description, queries: queries.map(parseQuery) };
}

function parseProduct(raw: unknown, index: number): CatalogFixtureProduct {
	const at = `products[${index}]`;
	if (!isRecord(raw)) throw new RelevanceDataError(`${at} must be an object`);
	const { sku, name, description, category, priceCents, currency, active } = raw;
	if (typeof sku !== "string" || !SKU_PATTERN.test(sku)) {
		throw new RelevanceDataError(`${at}.sku must be an upper-case SKU, got ${JSON.stringify(sku)}`);
	}
	const where = `${at} (${sku})`;
	if (!isNonEmptyString(name) || name.length > MAX_NAME_LENGTH) {
		throw new RelevanceDataError(`${where}.name must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`);
	}
	if (!isNonEmptyString(description)) throw new RelevanceDataError(`${where}.description must be a non-empty string`);
	if (typeof category !== "string" || !CATEGORY_PATTERN.test(category)) {
		throw new RelevanceDataError(`${where}.category must be a lower-case slug, got ${JSON.stringify(category)}`);
	}
	if (typeof priceCents !== "number" || !Number.isInteger(priceCents) || priceCents <= 0) {
		throw new RelevanceDataError(`${where}.priceCents must be a positive integer, got ${JSON.stringify(priceCents)}`);
	}
	if (currency !== "EUR") {
		throw new RelevanceDataError(`${where}.currency must be "EUR", got ${JSON.stringify(currency)}`);
	}
	if (typeof active !== "boolean") throw new RelevanceDataError(`${where}.active must be a boolean`);
	const extra = Object.keys(raw).filter(
		(key) => !["sku", "name", "description", "category", "priceCents", "currency", "active"].includes(key),
	);
	if (extra.length > 0) throw new RelevanceDataError(`${where} has unexpected fields: ${extra.join(", ")}`);
	return { sku, name, description, category, priceCents, currency, active };
}

/** Validates a parsed catalog-fixture.json; throws a RelevanceDataError naming the first bad entry. */
export function parseCatalogFixture(raw: unknown): CatalogFixtureProduct[] {
	if (!Array.isArray(raw) || raw.length === 0)
		throw new RelevanceDataError("the catalog fixture must be a non-empty array");
	const products = raw.map(parseProduct);
	const seen = new Set<string>();
	products.forEach(({ sku }, index) => {
		if (seen.has(sku)) throw new RelevanceDataError(`products[${index}] (${sku}) repeats a SKU`);
		seen.add(sku);
	});
	return products;
}

function readJson(file: string): unknown {
	const text = readFileSync(file, "utf8");
	try {
		return JSON.parse(text);
	} catch (err) {
		throw new RelevanceDataError(`${file} is not valid JSON: ${(err as Error).message}`);
	}
}

function withFile<T>(file: string, parse: () => T): T {
	try {
		return parse();
	} catch (err) {
		if (err instanceof RelevanceDataError && !err.message.startsWith(file)) {
			throw new RelevanceDataError(`${file}: ${err.message}`);
		}
		throw err;
	}
}

export function loadRelevanceDataset(file = RELEVANCE_DATASET_FILE): RelevanceDataset {
	return withFile(file, () => parseRelevanceDataset(readJson(file)));
}

export function loadCatalogFixture(file = CATALOG_FIXTURE_FILE): CatalogFixtureProduct[] {
	return withFile(file, () => parseCatalogFixture(readJson(file)));
}

/**
 * The fixture as documents an engine can index: ids derived from the SKU (stable across runs, so
 * reports and engine logs line up) and version 1.
 */
export function fixtureDocuments(products: readonly CatalogFixtureProduct[]): SearchDocument[] {
	return products.map((p) => ({ ...p, id: `fixture-${p.sku.toLowerCase()}`, version: 1 }));
}
