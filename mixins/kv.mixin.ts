import type { Service, ServiceSchema } from "moleculer";
import { appConfigOf } from "../config/broker-options";
import { defineMixin } from "../lib/define-schema";
import { createKvStore, type KvStore } from "../lib/kv";

export type KvService = Service & { kv: KvStore };

/**
 * Gives a service `this.kv`: Redis when REDIS_URL is set (shared by all nodes), else process
 * memory. Keys are prefixed `<namespace>:<service>:` so services never see each other's keys.
 */
export function KvMixin(): Partial<ServiceSchema> {
	return defineMixin<{ kv: KvStore }>({
		created() {
			const config = appConfigOf(this.broker);
			this.kv = createKvStore(config.redis.url, `${config.namespace}:${this.name}:`);
		},
		async started() {
			await this.kv.connect();
		},
		async stopped() {
			await this.kv.close();
		},
	});
}
