import { type Context, Strategies } from "moleculer";
import { rendezvousOwner } from "./rendezvous-hash";

type Endpoint = Parameters<InstanceType<typeof Strategies.Base>["select"]>[0][number];

/**
 * Routes every call about one SKU to the same node (rendezvous hashing on `params.sku` over the
 * endpoints Moleculer still considers available), so one actor owns each SKU. When a node leaves,
 * only its SKUs move; an endpoint with an open circuit breaker is not offered, so its SKUs move to
 * the next-highest node until it recovers. Correctness never depends on this routing: the stock
 * row's version fence does.
 */
export class SkuAffinityStrategy extends Strategies.Base {
	override select(list: Endpoint[], ctx?: Context): Endpoint {
		const key = (ctx?.params as { sku?: unknown } | undefined)?.sku;
		if (typeof key !== "string") return list[Math.floor(Math.random() * list.length)] as Endpoint;
		return rendezvousOwner(key, list, (ep) => ep.id) as Endpoint;
	}
}

export const SKU_AFFINITY = "SkuAffinity";

/**
 * The action name of an endpoint that was picked before the call's params were known, when that
 * action routes by SKU. moleculer-web resolves an alias's endpoint from the HTTP request context
 * (no `sku` in it, so SkuAffinity would pick a random node) and then calls the endpoint object
 * directly; calling by name instead lets the strategy see the SKU.
 */
export function skuRoutedActionName(action: unknown): string | undefined {
	if (typeof action !== "object" || action === null) return undefined;
	const definition = (action as { action?: { name?: unknown; strategy?: unknown } }).action;
	return definition?.strategy === SKU_AFFINITY && typeof definition.name === "string" ? definition.name : undefined;
}

/** Makes the strategy resolvable by name on this node (every node that may call inventory). */
export function registerSkuAffinityStrategy(): void {
	Strategies.register(SKU_AFFINITY, SkuAffinityStrategy as unknown as Parameters<typeof Strategies.register>[1]);
}
