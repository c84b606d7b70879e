import { ClientError } from "../../lib/errors";

export const PRODUCT_NOT_FOUND = "PRODUCT_NOT_FOUND";
export const SKU_TAKEN = "SKU_TAKEN";

export class ProductNotFoundError extends ClientError {
	constructor(id: string) {
		super(`Product ${id} does not exist`, 404, PRODUCT_NOT_FOUND, { id });
	}
}

export class SkuTakenError extends ClientError {
	constructor(sku: string) {
		super(`A product with SKU ${sku} already exists`, 409, SKU_TAKEN, { sku });
	}
}
