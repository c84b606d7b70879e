import { Validators } from "moleculer";
import {
	isOptionalRule,
	paramsSchema,
	toJsonSchema,
} from "../../../services/gateway/openapi/fastest-validator-to-json-schema";
import { reserveParams } from "../../../services/inventory/inventory.params";
import { updateProfileParams } from "../../../services/users/users.params";

describe("fastest-validator rules as JSON Schema", () => {
	it("when a string rule has bounds and a RegExp pattern, then they become minLength, maxLength and its source", () => {
		expect(toJsonSchema({ type: "string", min: 1, max: 64, pattern: /^[A-Z]{3}$/ })).toEqual({
			type: "string",
			minLength: 1,
			maxLength: 64,
			pattern: "^[A-Z]{3}$",
		});
	});

	it("when a number rule is an integer, positive or bounded, then it says so", () => {
		expect(toJsonSchema({ type: "number", integer: true, positive: true, max: 100 })).toEqual({
			type: "integer",
			exclusiveMinimum: 0,
			maximum: 100,
		});
		expect(toJsonSchema({ type: "number", min: -5, default: 0 })).toEqual({ type: "number", minimum: -5, default: 0 });
	});

	it("when a rule is nullable, then null is one of its types", () => {
		expect(toJsonSchema({ type: "string", max: 40, nullable: true, optional: true })).toEqual({
			type: ["string", "null"],
			maxLength: 40,
		});
		expect(toJsonSchema({ type: "enum", values: ["A"], nullable: true })).toEqual({
			anyOf: [{ enum: ["A"] }, { type: "null" }],
		});
	});

	it("when rules are uuid, email, enum, array and shorthand, then each has its JSON Schema form", () => {
		expect(toJsonSchema({ type: "uuid" })).toEqual({ type: "string", format: "uuid" });
		expect(toJsonSchema({ type: "email", max: 254, normalize: true })).toEqual({
			type: "string",
			maxLength: 254,
			format: "email",
		});
		expect(toJsonSchema({ type: "enum", values: ["OPEN", "RESOLVED"] })).toEqual({ enum: ["OPEN", "RESOLVED"] });
		expect(toJsonSchema({ type: "array", items: "string", min: 1, max: 3 })).toEqual({
			type: "array",
			items: { type: "string" },
			minItems: 1,
			maxItems: 3,
		});
		expect(toJsonSchema("number|optional|min:2")).toEqual({ type: "number", minimum: 2 });
		expect(isOptionalRule("number|optional|min:2")).toBe(true);
	});

	it("when a rule's type is unknown to the translation, then it allows anything rather than too little", () => {
		expect(toJsonSchema({ type: "custom", check: () => true })).toEqual({});
	});

	it("when params are strict, then unknown keys are refused; when they remove them, then they are allowed", () => {
		const strict = paramsSchema(updateProfileParams);
		expect(strict.additionalProperties).toBe(false);
		expect(strict.required).toBeUndefined();
		const removing = paramsSchema(reserveParams(10));
		expect(removing.additionalProperties).toBeUndefined();
		expect(removing.required).toEqual(["orderId", "sku", "quantity"]);
	});

	it("when a field has a default, then it is not required (the validator fills it in)", () => {
		const schema = paramsSchema({ page: { type: "number", default: 1 }, q: { type: "string" } });
		expect(schema.required).toEqual(["q"]);
	});

	/** The translation's promise, checked against the validator itself: what the validator accepts, the schema allows. */
	it("when values the validator accepts are checked against the schema's bounds, then the schema allows them", () => {
		const params = reserveParams(10);
		const check = new Validators.Fastest().compile(params) as (value: object) => true | unknown[];
		const schema = paramsSchema(params) as { properties: Record<string, any> };
		for (const quantity of [1, 5, 10]) {
			const value = { orderId: "o-1", sku: "SKU-1", quantity };
			expect(check({ ...value })).toBe(true);
			expect(quantity).toBeGreaterThan(schema.properties.quantity.exclusiveMinimum);
			expect(quantity).toBeLessThanOrEqual(schema.properties.quantity.maximum);
			expect(new RegExp(schema.properties.sku.pattern).test(value.sku)).toBe(true);
		}
		expect(check({ orderId: "o:1", sku: "SKU-1", quantity: 1 })).not.toBe(true);
		expect(new RegExp(schema.properties.orderId.pattern).test("o:1")).toBe(false);
	});
});
