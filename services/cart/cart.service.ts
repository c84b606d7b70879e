import { randomUUID } from "node:crypto";
import type { Context, Service, ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { callerOf, requireCallerOf } from "../../lib/auth/caller";
import { defineService } from "../../lib/define-schema";
import { type OrderConfirmedPayload, TOPIC } from "../../lib/events/checkout-topics";
import type { EventEnvelope } from "../../lib/events/event-envelope";
import type { KvStore } from "../../lib/kv";
import { setReplyStatus } from "../../lib/reply-status";
import { DbMixin } from "../../mixins/db.mixin";
import { KvMixin } from "../../mixins/kv.mixin";
import type { Product } from "../products/products.repository";
import { CartIdRequiredError, CartLimitError, CatalogUnavailableError, ProductNotAvailableError } from "./cart.errors";
import { addItemParams, cartRefParams, MAX_LINES, MAX_QUANTITY, mergeParams, removeItemParams } from "./cart.params";
import { type CartLine, type CartStore, GuestCarts, UserCarts } from "./cart-stores";
import { cartMigrations } from "./migrations";

/** A guest cart lives this long after its last change. */
const GUEST_CART_TTL_MS = 7 * 24 * 3_600_000;

interface CartVars {
	sequelize: Sequelize;
	kv: KvStore;
	guests: GuestCarts;
	users: UserCarts;
}

type CartThis = Service & CartVars;

/** Whose cart a request is about: the signed-in caller's, else the guest cart named by `cartId`. */
interface CartRef {
	store: CartStore;
	owner: string;
	/** Set for a guest cart: the client keeps it and sends it back. */
	cartId?: string;
}

function refOf(this: CartThis, ctx: Context<{ cartId?: string }>, createGuest = false): CartRef {
	const userId = callerOf(ctx)?.sub;
	if (userId) return { store: this.users, owner: userId };
	const cartId = ctx.params.cartId ?? (createGuest ? randomUUID() : undefined);
	if (!cartId) throw new CartIdRequiredError();
	return { store: this.guests, owner: cartId, cartId };
}

/** Moleculer's ways of saying the products service could not be reached or did not answer in time. */
const CATALOG_OUTAGE_TYPES = new Set([
	"SERVICE_NOT_FOUND",
	"SERVICE_NOT_AVAILABLE",
	"REQUEST_REJECTED",
	"REQUEST_TIMEOUT",
	"CIRCUIT_BREAKER_OPEN",
]);

/**
 * Today's products of these ids (those that exist), in one call to the products service; `undefined` when
 * that service cannot be reached (the cart then answers what it knows, see viewOf).
 */
async function productsById(ctx: Context, ids: string[]): Promise<Map<string, Product> | undefined> {
	if (ids.length === 0) return new Map();
	try {
		const products = await ctx.call<Product[], { ids: string[] }>("products.getMany", { ids });
		return new Map(products.map((p) => [p.id, p]));
	} catch (err) {
		if (CATALOG_OUTAGE_TYPES.has((err as { type?: string }).type ?? "")) return undefined;
		throw err;
	}
}

/**
 * What a cart answers: its lines at today's prices, flagged when a price changed since the line was
 * added. `known` are products already read for this request (an add reads them before it writes). When
 * the products service cannot be reached, the lines are answered as they were added (prices, names, each
 * still available) with `catalogUnavailable: true`, rather than no cart at all.
 */
async function viewOf(this: CartThis, ctx: Context, ref: CartRef, known?: Map<string, Product>) {
	const lines = await ref.store.lines(ref.owner);
	const ids = lines.map((l) => l.productId);
	const byId = known && ids.every((id) => known.has(id)) ? known : await productsById(ctx, ids);
	const totals: Record<string, number> = {};
	const items = lines.map((line) => {
		const product = byId?.get(line.productId);
		const available = byId === undefined || Boolean(product?.active);
		const priceCents = product?.priceCents ?? line.priceCents;
		const currency = product?.currency ?? line.currency;
		if (available) totals[currency] = (totals[currency] ?? 0) + priceCents * line.quantity;
		return {
			productId: line.productId,
			sku: product?.sku ?? null,
			name: product?.name ?? line.name,
			quantity: line.quantity,
			priceCents,
			currency,
			addedPriceCents: line.priceCents,
			priceChanged: priceCents !== line.priceCents || currency !== line.currency,
			available,
		};
	});
	return {
		...(ref.cartId ? { cartId: ref.cartId } : {}),
		items,
		totals,
		itemCount: items.reduce((n, i) => n + i.quantity, 0),
		...(byId === undefined ? { catalogUnavailable: true } : {}),
	};
}

/**
 * Shopping carts: a signed-in shopper's in SQL, a guest's in the key-value store (7 days after its
 * last change). Prices come from the products service, as they are now; each line also keeps the
 * price it was added at, so the shopper sees what changed before checking out.
 */
export default function cartService(_config: AppConfig): ServiceSchema {
	return defineService<CartVars>({
		name: "cart",
		mixins: [KvMixin(), DbMixin({ database: "cart", migrations: cartMigrations })],

		channels: {
			/**
			 * An order made from the shopper's cart empties it once CONFIRMED (not before: a cancelled or
			 * timed-out order leaves the cart as it was). Idempotent, so a redelivery needs no dedup.
			 */
			[TOPIC.orderConfirmed]: {
				group: "cart",
				async handler(this: CartThis, envelope: EventEnvelope<OrderConfirmedPayload>) {
					const { fromCart, userId } = envelope.payload ?? {};
					if (fromCart && typeof userId === "string") await this.users.clear(userId);
				},
			},
		},

		actions: {
			get: {
				params: cartRefParams,
				handler(this: CartThis, ctx: Context<{ cartId?: string }>) {
					return viewOf.call(this, ctx, refOf.call(this, ctx));
				},
			},

			/** Adds `quantity` of the product (to what the cart already holds of it). A guest without a cart gets one. */
			addItem: {
				params: addItemParams,
				async handler(this: CartThis, ctx: Context<{ cartId?: string; productId: string; quantity: number }>) {
					const ref = refOf.call(this, ctx, true);
					const { productId, quantity } = ctx.params;
					const lines = await ref.store.lines(ref.owner);
					// The product added and those already held, in one call: the answer's view needs them all.
					const products = await productsById(ctx, [...lines.map((l) => l.productId), productId]);
					if (!products) throw new CatalogUnavailableError();
					const product = products.get(productId);
					if (!product?.active) throw new ProductNotAvailableError(productId);
					const holds = lines.some((l) => l.productId === productId);
					if (!holds && lines.length >= MAX_LINES) throw new CartLimitError("lines", MAX_LINES);
					const line: CartLine = {
						productId,
						quantity,
						name: product.name,
						priceCents: product.priceCents,
						currency: product.currency,
						addedAt: Date.now(),
					};
					if (!(await ref.store.add(ref.owner, line, MAX_QUANTITY, holds)))
						throw new CartLimitError("quantity", MAX_QUANTITY);
					return viewOf.call(this, ctx, ref, products);
				},
			},

			removeItem: {
				params: removeItemParams,
				async handler(this: CartThis, ctx: Context<{ cartId?: string; productId: string }>) {
					const ref = refOf.call(this, ctx);
					await ref.store.remove(ref.owner, ctx.params.productId);
					return viewOf.call(this, ctx, ref);
				},
			},

			clear: {
				params: cartRefParams,
				async handler(this: CartThis, ctx: Context<{ cartId?: string }>) {
					const ref = refOf.call(this, ctx);
					await ref.store.clear(ref.owner);
					setReplyStatus(ctx, 204);
					return null;
				},
			},

			/**
			 * After signing in: the guest cart's lines join the shopper's cart (quantities of one product
			 * add up, to at most MAX_QUANTITY; lines past MAX_LINES are dropped) and the guest cart is deleted.
			 */
			merge: {
				params: mergeParams,
				async handler(this: CartThis, ctx: Context<{ cartId: string }>) {
					const userId = requireCallerOf(ctx).sub;
					const mine = await this.users.lines(userId);
					let count = mine.length;
					for (const guestLine of await this.guests.lines(ctx.params.cartId)) {
						const current = mine.find((l) => l.productId === guestLine.productId);
						if (!current && count >= MAX_LINES) continue;
						if (!current) count++;
						await this.users.put(userId, {
							...(current ?? guestLine),
							quantity: Math.min(MAX_QUANTITY, (current?.quantity ?? 0) + guestLine.quantity),
						});
					}
					await this.guests.clear(ctx.params.cartId);
					return viewOf.call(this, ctx, { store: this.users, owner: userId });
				},
			},
		},

		async started(this: CartThis) {
			this.guests = new GuestCarts(this.kv, GUEST_CART_TTL_MS);
			this.users = new UserCarts(this.sequelize);
		},
	});
}
