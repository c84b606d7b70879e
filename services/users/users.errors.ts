import { ClientError } from "../../lib/errors";

export const ADDRESS_NOT_FOUND = "ADDRESS_NOT_FOUND";
export const ADDRESS_LIMIT = "ADDRESS_LIMIT";

/** Also for another account's address: whether it exists is not the caller's business. */
export class AddressNotFoundError extends ClientError {
	constructor(id: string) {
		super(`Address ${id} does not exist`, 404, ADDRESS_NOT_FOUND, { id });
	}
}

export class AddressLimitError extends ClientError {
	constructor(limit: number) {
		super(`An account keeps at most ${limit} addresses`, 409, ADDRESS_LIMIT, { limit });
	}
}
