import { execFileSync } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

export interface OpenApiValidation {
	valid: boolean;
	errors?: unknown;
}

/**
 * Validates an OpenAPI document with @seriousme/openapi-schema-validator. The package is ESM only (and
 * uses import.meta), which Jest's CommonJS runtime cannot load without --experimental-vm-modules, so
 * it runs in a plain Node process of its own, reading the document on stdin.
 */
export function validateOpenApi(document: unknown): OpenApiValidation {
	const script = [
		'import { Validator } from "@seriousme/openapi-schema-validator";',
		'import { readFileSync } from "node:fs";',
		"const result = await new Validator().validate(JSON.parse(readFileSync(0, 'utf8')));",
		"process.stdout.write(JSON.stringify(result));",
	].join("\n");
	const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
		cwd: ROOT,
		input: JSON.stringify(document),
		encoding: "utf8",
		timeout: 30_000,
	});
	return JSON.parse(output) as OpenApiValidation;
}
