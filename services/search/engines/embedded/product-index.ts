import type { ChangeOutcome, IndexChange, SearchDocument } from "../search-engine";
import { normalizeText, tokenize } from "./text-analysis";
import type { TextIndex } from "./text-index";

/** A live product with what ranking and sorting read on every query, computed once. */
export interface IndexedProduct {
	document: SearchDocument;
	/** Case-insensitive sort key for the browse order and ties. */
	nameKey: string;
	nameTerms: string[];
}

/**
 * One generation of the embedded index: the live products, every id's last version (tombstones
 * included), the text index, and the lookups the engine needs beside it (SKU, name vocabulary).
 * A rebuild fills a second generation and swaps it in.
 */
export class ProductIndex {
	private readonly products = new Map<string, IndexedProduct>();
	/** Last applied version per id, for live products and tombstones alike. */
	private readonly versions = new Map<string, number>();
	/** When each tombstone was written (epoch ms): the ids in `versions` without a live product. */
	private readonly deletedAt = new Map<string, number>();
	private readonly idsBySku = new Map<string, Set<string>>();
	private readonly nameTermUses = new Map<string, number>();
	private browseOrderCache: IndexedProduct[] | null = null;
	private nameVocabularyCache: string[] | null = null;

	constructor(readonly text: TextIndex) {}

	get size(): number {
		return this.products.size;
	}

	get(id: string): IndexedProduct | undefined {
		return this.products.get(id);
	}

	/** `now` stamps a tombstone; a rebuild passes the copied tombstone's own time. */
	apply(change: IndexChange, now = Date.now()): ChangeOutcome {
		const id = change.kind === "upsert" ? change.document.id : change.id;
		const version = change.kind === "upsert" ? change.document.version : change.version;
		const stored = this.versions.get(id);
		if (stored !== undefined && version <= stored) return "stale";
		this.versions.set(id, version);
		this.forget(id);
		if (change.kind === "upsert") {
			this.deletedAt.delete(id);
			this.remember(change.document);
		} else this.deletedAt.set(id, now);
		return "applied";
	}

	/** Ids deleted at a version, with it and when: a rebuild carries them over (see beginRebuild). */
	*tombstones(): Iterable<[id: string, version: number, deletedAt: number]> {
		for (const [id, deletedAt] of this.deletedAt) yield [id, this.versions.get(id) as number, deletedAt];
	}

	/** Forgets the tombstones written before `deletedBefore`; answers how many. */
	purgeTombstones(deletedBefore: number): number {
		let purged = 0;
		for (const [id, deletedAt] of this.deletedAt) {
			if (deletedAt >= deletedBefore) continue;
			this.deletedAt.delete(id);
			this.versions.delete(id);
			purged++;
		}
		return purged;
	}

	/** Every live product by name, then id (the order of a search without text). */
	browseOrder(): readonly IndexedProduct[] {
		if (!this.browseOrderCache) this.browseOrderCache = [...this.products.values()].sort(byName);
		return this.browseOrderCache;
	}

	/** Live products whose SKU equals `text`, case-insensitively. */
	withSku(text: string): IndexedProduct[] {
		const ids = this.idsBySku.get(normalizeText(text.trim()));
		if (!ids) return [];
		return [...ids].map((id) => this.products.get(id) as IndexedProduct);
	}

	/** The distinct terms of live products' names (for typo-tolerant prefixes). */
	nameVocabulary(): readonly string[] {
		if (!this.nameVocabularyCache) this.nameVocabularyCache = [...this.nameTermUses.keys()];
		return this.nameVocabularyCache;
	}

	private remember(document: SearchDocument): void {
		const product: IndexedProduct = {
			document,
			nameKey: normalizeText(document.name),
			nameTerms: tokenize(document.name),
		};
		this.products.set(document.id, product);
		this.text.add(document);
		const sku = normalizeText(document.sku);
		let ids = this.idsBySku.get(sku);
		if (!ids) {
			ids = new Set();
			this.idsBySku.set(sku, ids);
		}
		ids.add(document.id);
		for (const term of new Set(product.nameTerms)) {
			const uses = this.nameTermUses.get(term) ?? 0;
			if (uses === 0) this.nameVocabularyCache = null;
			this.nameTermUses.set(term, uses + 1);
		}
		this.browseOrderCache = null;
	}

	private forget(id: string): void {
		const product = this.products.get(id);
		if (!product) return;
		this.products.delete(id);
		this.text.remove(id);
		const sku = normalizeText(product.document.sku);
		const ids = this.idsBySku.get(sku);
		ids?.delete(id);
		if (ids?.size === 0) this.idsBySku.delete(sku);
		for (const term of new Set(product.nameTerms)) {
			const uses = (this.nameTermUses.get(term) ?? 1) - 1;
			if (uses === 0) {
				this.nameTermUses.delete(term);
				this.nameVocabularyCache = null;
			} else this.nameTermUses.set(term, uses);
		}
		this.browseOrderCache = null;
	}
}

/** Name (case-insensitive), then id: the contract's browse order and tie-break. */
export function byName(a: IndexedProduct, b: IndexedProduct): number {
	if (a.nameKey !== b.nameKey) return a.nameKey < b.nameKey ? -1 : 1;
	if (a.document.id === b.document.id) return 0;
	return a.document.id < b.document.id ? -1 : 1;
}
