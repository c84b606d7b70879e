/**
 * The @moleculer/channels retry policy our adapters (ShopKafka, ShopNats, ShopRedis) keep: `maxRetries`
 * counts deliveries in all; unset or 0 means one delivery, a negative value retries forever.
 */
export function retriesExhausted(chan: { maxRetries?: number }, attempts: number): boolean {
	return !chan.maxRetries || (chan.maxRetries > 0 && attempts >= chan.maxRetries);
}
