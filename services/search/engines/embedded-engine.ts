/**
 * The embedded search engine: an in-process index the search service fills from the catalog when it
 * starts (no persistence). MiniSearch matches and scores the text; versions, tombstones, filters,
 * facets, the ranking tiers and paging live in ProductIndex and run-search beside it.
 * MiniSearch rather than Orama: equal relevance on the shared dataset, much faster queries and a smaller
 * heap (bench/search-engines-compare.ts measures both; figures: README, "Deviations").
 */
import { MiniSearchTextIndex } from "./embedded/minisearch-text-index";
import { ProductIndex } from "./embedded/product-index";
import { runAutocomplete } from "./embedded/run-autocomplete";
import { runSearch } from "./embedded/run-search";
import type { TextIndex } from "./embedded/text-index";
import type {
	ChangeOutcome,
	IndexChange,
	IndexRebuild,
	SearchDocument,
	SearchEngine,
	SearchPage,
	SearchQuery,
	Suggestion,
} from "./search-engine";

export class EmbeddedSearchEngine implements SearchEngine {
	readonly kind = "embedded";
	private live: ProductIndex;
	/** The generation a rebuild is filling; `apply` writes to it too. */
	private building: ProductIndex | null = null;
	private stopped = false;

	/** `newTextIndex` is a seam for the library comparison bench; the service uses the default. */
	constructor(private readonly newTextIndex: () => TextIndex = () => new MiniSearchTextIndex()) {
		this.live = new ProductIndex(newTextIndex());
	}

	async start(): Promise<void> {
		this.stopped = false;
	}

	async stop(): Promise<void> {
		this.stopped = true;
	}

	async ping(): Promise<boolean> {
		return !this.stopped;
	}

	async apply(changes: readonly IndexChange[]): Promise<ChangeOutcome[]> {
		return changes.map((change) => {
			this.building?.apply(change);
			return this.live.apply(change);
		});
	}

	async search(query: SearchQuery): Promise<SearchPage> {
		return runSearch(this.live, query);
	}

	async autocomplete(prefix: string, limit: number): Promise<Suggestion[]> {
		return runAutocomplete(this.live, prefix, limit);
	}

	async count(): Promise<number> {
		return this.live.size;
	}

	async purgeTombstones(deletedBefore: number): Promise<number> {
		this.building?.purgeTombstones(deletedBefore);
		return this.live.purgeTombstones(deletedBefore);
	}

	/**
	 * The new generation starts with the live one's tombstones: the catalog no longer lists a deleted
	 * product, and without its tombstone a late, older upsert would bring it back after the swap.
	 * A newer rebuild supersedes an open one (its handle then refuses to add or commit).
	 */
	async beginRebuild(): Promise<IndexRebuild> {
		const next = new ProductIndex(this.newTextIndex());
		for (const [id, version, deletedAt] of this.live.tombstones())
			next.apply({ kind: "delete", id, version }, deletedAt);
		this.building = next;
		const assertOpen = () => {
			if (this.building !== next) throw new Error("this index rebuild was committed, aborted or superseded");
		};
		return {
			add: async (documents: readonly SearchDocument[]) => {
				assertOpen();
				for (const document of documents) next.apply({ kind: "upsert", document });
			},
			commit: async () => {
				assertOpen();
				this.live = next;
				this.building = null;
			},
			abort: async () => {
				if (this.building === next) this.building = null;
			},
		};
	}
}

export function createEmbeddedEngine(): SearchEngine {
	return new EmbeddedSearchEngine();
}
