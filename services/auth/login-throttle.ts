import type { AppConfig } from "../../config";
import type { KvStore } from "../../lib/kv";
import { TooManyFailedLoginsError } from "./auth.errors";

const accountKey = (email: string) => `login-failures:account:${email}`;
const addressKey = (address: string) => `login-failures:ip:${address}`;

/**
 * Password guessing, slowed per account and per client address, in the key-value store (Redis in a
 * cluster: every auth node, behind every gateway, counts against one limit). Each count lives for the
 * window from its first failure; past the limit a login is refused with 429 before its password is
 * checked, whether or not the email has an account, so the refusal tells nothing about which exist.
 *
 * An account's attempts are counted before the password is checked and cleared by a success: a burst
 * of concurrent guesses cannot all slip in under the limit before the first failure is counted. An
 * address's failures are counted after the check (it is shared by everyone behind one NAT, whose
 * successful logins must not count); there the gateway's per-address rate limit bounds a burst.
 */
export class LoginThrottle {
	constructor(
		private readonly kv: KvStore,
		private readonly limits: AppConfig["loginLimits"],
	) {}

	/** Throws TooManyFailedLoginsError when the address or the account is over its limit. */
	async admit(email: string, clientAddress: string | undefined): Promise<void> {
		const { maxFailuresPerAccount, maxFailuresPerIp, windowMs } = this.limits;
		if (maxFailuresPerIp > 0 && clientAddress) {
			const failures = Number((await this.kv.get(addressKey(clientAddress))) ?? 0);
			if (failures >= maxFailuresPerIp) throw await this.refusal(addressKey(clientAddress));
		}
		if (maxFailuresPerAccount > 0) {
			const attempts = await this.kv.increment(accountKey(email), windowMs);
			if (attempts > maxFailuresPerAccount) throw await this.refusal(accountKey(email));
		}
	}

	/** The password was wrong (or the email unknown). */
	async failed(clientAddress: string | undefined): Promise<void> {
		if (this.limits.maxFailuresPerIp > 0 && clientAddress) {
			await this.kv.increment(addressKey(clientAddress), this.limits.windowMs);
		}
	}

	/** The password was right: the account's count starts over. */
	async succeeded(email: string): Promise<void> {
		if (this.limits.maxFailuresPerAccount > 0) await this.kv.delete(accountKey(email));
	}

	private async refusal(key: string): Promise<TooManyFailedLoginsError> {
		const leftMs = (await this.kv.ttlMs(key)) ?? this.limits.windowMs;
		return new TooManyFailedLoginsError(Math.max(1, Math.ceil(leftMs / 1000)));
	}
}
