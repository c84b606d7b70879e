/**
 * fastest-validator rules (what our actions declare as `params`) as JSON Schema 2020-12 (what
 * OpenAPI 3.1 describes data with). The rules stay the source of truth: this only translates them.
 *
 * The translation never forbids what the validator accepts: a rule it does not know becomes `{}`
 * (anything). Where the validator is stricter than JSON Schema can say (`trim` before `min`), a value
 * the schema allows may still be refused with a 400, which the document lists.
 */

export type JsonSchema = Record<string, unknown>;

type Rule = Record<string, unknown>;

/** A `params` object's own keys that are options, not fields (`$$strict`, `$$async`, ...). */
const isOption = (key: string) => key.startsWith("$$");

/** `"string|optional|min:3"`: the validator's shorthand, as the object form it stands for. */
function ruleOf(rule: unknown): Rule {
	if (typeof rule !== "string") return (rule ?? {}) as Rule;
	const [type, ...flags] = rule.split("|");
	const expanded: Rule = { type };
	for (const flag of flags) {
		const [name, value] = flag.split(":") as [string, string | undefined];
		expanded[name] = value === undefined ? true : Number.isNaN(Number(value)) ? value : Number(value);
	}
	return expanded;
}

/** Whether a field may be left out: `optional`, or a `default` the validator fills in. */
export function isOptionalRule(rule: unknown): boolean {
	const r = ruleOf(rule);
	if (Array.isArray(rule)) return rule.some(isOptionalRule);
	return r.optional === true || r.default !== undefined;
}

/** A RegExp's source as an ECMA-262 pattern (what JSON Schema's `pattern` is). */
function patternOf(pattern: unknown): string | undefined {
	if (pattern instanceof RegExp) return pattern.source;
	return typeof pattern === "string" ? pattern : undefined;
}

function stringSchema(r: Rule): JsonSchema {
	const schema: JsonSchema = { type: "string" };
	if (typeof r.min === "number") schema.minLength = r.min;
	if (typeof r.max === "number") schema.maxLength = r.max;
	if (typeof r.length === "number") {
		schema.minLength = r.length;
		schema.maxLength = r.length;
	}
	const pattern = patternOf(r.pattern);
	if (pattern !== undefined) schema.pattern = pattern;
	if (Array.isArray(r.enum)) schema.enum = r.enum;
	if (r.empty === false && schema.minLength === undefined) schema.minLength = 1;
	return schema;
}

function numberSchema(r: Rule): JsonSchema {
	const schema: JsonSchema = { type: r.integer === true ? "integer" : "number" };
	if (typeof r.min === "number") schema.minimum = r.min;
	if (typeof r.max === "number") schema.maximum = r.max;
	if (typeof r.equal === "number") schema.const = r.equal;
	if (r.positive === true) schema.exclusiveMinimum = 0;
	if (r.negative === true) schema.exclusiveMaximum = 0;
	return schema;
}

function arraySchema(r: Rule): JsonSchema {
	const schema: JsonSchema = { type: "array" };
	if (r.items !== undefined) schema.items = toJsonSchema(r.items);
	if (typeof r.min === "number") schema.minItems = r.min;
	if (typeof r.max === "number") schema.maxItems = r.max;
	if (typeof r.length === "number") {
		schema.minItems = r.length;
		schema.maxItems = r.length;
	}
	if (r.unique === true) schema.uniqueItems = true;
	if (r.empty === false && schema.minItems === undefined) schema.minItems = 1;
	return schema;
}

/**
 * An object of `props` (or a `params` object itself). `strict: true` refuses unknown keys;
 * `"remove"` drops them, so they stay allowed here.
 */
export function objectSchema(props: Record<string, unknown> | undefined, strict: unknown): JsonSchema {
	const schema: JsonSchema = { type: "object" };
	if (props === undefined) return schema;
	const properties: Record<string, JsonSchema> = {};
	const required: string[] = [];
	for (const [name, rule] of Object.entries(props)) {
		if (isOption(name)) continue;
		properties[name] = toJsonSchema(rule);
		if (!isOptionalRule(rule)) required.push(name);
	}
	schema.properties = properties;
	if (required.length > 0) schema.required = required;
	if (strict === true) schema.additionalProperties = false;
	return schema;
}

/** The schema of one value, before `nullable` and `default`. */
function valueSchema(r: Rule): JsonSchema {
	switch (r.type) {
		case "string":
			return stringSchema(r);
		case "email":
			return { ...stringSchema({ ...r, pattern: undefined }), format: "email" };
		case "url":
			return { ...stringSchema({ ...r, pattern: undefined }), format: "uri" };
		case "uuid":
			return { type: "string", format: "uuid" };
		case "date":
			return { type: "string", format: "date-time" };
		case "number":
			return numberSchema(r);
		case "boolean":
			return { type: "boolean" };
		case "enum":
			return { enum: Array.isArray(r.values) ? [...r.values] : [] };
		case "equal":
			return { const: r.value };
		case "array":
			return arraySchema(r);
		case "object":
			return objectSchema(r.props as Record<string, unknown> | undefined, r.strict);
		case "multi":
			return { anyOf: ((r.rules as unknown[]) ?? []).map(toJsonSchema) };
		default:
			// `any`, `custom`, `function` and rules added later: anything, so the document never forbids too much.
			return {};
	}
}

/** One fastest-validator rule (object, shorthand string or an array of alternatives) as JSON Schema. */
export function toJsonSchema(rule: unknown): JsonSchema {
	if (Array.isArray(rule)) return { anyOf: rule.map(toJsonSchema) };
	const r = ruleOf(rule);
	let schema = valueSchema(r);
	if (r.nullable === true) {
		schema =
			typeof schema.type === "string"
				? { ...schema, type: [schema.type, "null"] }
				: { anyOf: [schema, { type: "null" }] };
	}
	if (r.default !== undefined && typeof r.default !== "function") schema.default = r.default;
	return schema;
}

/** An action's whole `params` object as the schema of an object (`$$strict` as its strictness). */
export function paramsSchema(params: Record<string, unknown>): JsonSchema {
	return objectSchema(params, params.$$strict);
}
