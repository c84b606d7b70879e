import type { ServiceSchema } from "moleculer";
import { appConfigOf } from "../config/app-config-of";
import { defineMixin } from "../lib/define-schema";
import { createKvStore, type KvStore } from "../lib/kv";

export interface KvMixinOptions {
	/**
	 * Start even when the store does not answer: for a service that can do without it for a while (the
	 * gateway's rate limits let requests through). The client keeps reconnecting; calls fail until it
	 * answers. Otherwise the service does not start.
	 */
	optionalAtStart?: boolean;
}

/**
 * Gives a service `this.kv`: Redis when REDIS_URL is set (shared by all nodes), else process
 * memory. Keys are prefixed `<namespace>:<service>:` so services never see each other's keys.
 */
export function KvMixin(options: KvMixinOptions = {}): Partial<ServiceSchema> {
	return defineMixin<{ kv: KvStore }>({
		created() {
			const config = appConfigOf(this.broker);
			this.kv = createKvStore(config.redis.url, `${config.namespace}:${this.name}:`);
		},
		async started() {
			try {
				await this.kv.connect();
			} catch (err) {
				if (!options.optionalAtStart) throw err;
				this.logger.warn("Key-value store not reachable at start; going on without it until it answers:", err);
			}
		},
		async stopped() {
			await this.kv.close();
		},
	});
}
