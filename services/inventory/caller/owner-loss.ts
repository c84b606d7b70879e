import { InventoryUnavailableError } from "../inventory.errors";

/**
 * What Moleculer answers a caller when a SKU's owner is gone or none can be reached: the owner died
 * with the call pending (REQUEST_REJECTED, raised when the cluster drops it), or no inventory node is
 * up (SERVICE_NOT_AVAILABLE, SERVICE_NOT_FOUND). Clients see the inventory's documented 503 instead.
 */
const OWNER_LOSS_TYPES = new Set(["REQUEST_REJECTED", "SERVICE_NOT_AVAILABLE", "SERVICE_NOT_FOUND"]);

/** How soon a client may retry: the survivors have taken the SKU over by then (see API_DOCS, Flow). */
export const OWNER_LOSS_RETRY_AFTER_S = 1;

/**
 * `err` as the inventory's INVENTORY_UNAVAILABLE when it says the owner was lost. Retryable: a call
 * that was pending may have been committed before its owner died, and the same call again (same
 * order id) answers what was stored or decides anew.
 */
export function ownerLossAsUnavailable(err: unknown, sku: string): unknown {
	const type = (err as { type?: unknown } | null)?.type;
	if (typeof type !== "string" || !OWNER_LOSS_TYPES.has(type)) return err;
	return new InventoryUnavailableError(sku, type, OWNER_LOSS_RETRY_AFTER_S);
}
