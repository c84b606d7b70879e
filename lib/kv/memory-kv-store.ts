import type { KvStore } from "./kv-store";

interface Entry {
	value: string;
	expiresAt: number | null;
}

const SWEEP_INTERVAL_MS = 30_000;

/** Process-local store for the embedded mode. Expired keys vanish on read and in a periodic sweep. */
export class MemoryKvStore implements KvStore {
	readonly kind = "memory";
	private readonly entries = new Map<string, Entry>();
	private sweeper: NodeJS.Timeout | undefined;

	constructor(private readonly keyPrefix = "") {}

	async connect(): Promise<void> {
		this.sweeper ??= setInterval(() => this.sweep(), SWEEP_INTERVAL_MS).unref();
	}

	async close(): Promise<void> {
		clearInterval(this.sweeper);
		this.sweeper = undefined;
	}

	async ping(): Promise<void> {}

	async get(key: string): Promise<string | null> {
		return this.live(key)?.value ?? null;
	}

	async set(key: string, value: string, ttlMs?: number): Promise<void> {
		this.entries.set(this.keyPrefix + key, { value, expiresAt: expiry(ttlMs) });
	}

	async setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
		if (this.live(key)) return false;
		await this.set(key, value, ttlMs);
		return true;
	}

	async delete(key: string): Promise<boolean> {
		const existed = this.live(key) !== undefined;
		this.entries.delete(this.keyPrefix + key);
		return existed;
	}

	async increment(key: string, ttlMs?: number): Promise<number> {
		const entry = this.live(key);
		if (!entry) {
			this.entries.set(this.keyPrefix + key, { value: "1", expiresAt: expiry(ttlMs) });
			return 1;
		}
		const next = Number(entry.value) + 1;
		if (!Number.isFinite(next)) throw new TypeError(`value of "${key}" is not a number`);
		entry.value = String(next);
		return next;
	}

	async ttlMs(key: string): Promise<number | null> {
		const entry = this.live(key);
		return entry?.expiresAt ? entry.expiresAt - Date.now() : null;
	}

	private live(key: string): Entry | undefined {
		const entry = this.entries.get(this.keyPrefix + key);
		if (entry?.expiresAt && entry.expiresAt <= Date.now()) {
			this.entries.delete(this.keyPrefix + key);
			return undefined;
		}
		return entry;
	}

	private sweep(): void {
		const now = Date.now();
		for (const [key, entry] of this.entries) {
			if (entry.expiresAt && entry.expiresAt <= now) this.entries.delete(key);
		}
	}
}

function expiry(ttlMs?: number): number | null {
	return ttlMs && ttlMs > 0 ? Date.now() + ttlMs : null;
}
