import { randomBytes } from "node:crypto";
import type { Account, AccountsRepository } from "./accounts.repository";
import { EmailTakenError, OidcEmailNotVerifiedError } from "./auth.errors";
import type { OidcIdentitiesRepository } from "./oidc-identities.repository";
import type { ProviderAccount } from "./oidc-provider-client";
import { hashPassword } from "./password-hash";

/**
 * How a provider's login found its account: by the provider account linked before (`identity`), by
 * its verified email to an account of ours (`linked`), or as a new account (`created`).
 */
export type ProviderLoginOutcome = "identity" | "linked" | "created";

/**
 * The account a provider's login logs into. First the provider account linked before (issuer, subject):
 * it stays ours when the person changes their email there. Else only a verified email links: to our
 * account of that email, or to a new one with `newAccountRoles` and no usable password (the hash of
 * random bytes nobody holds: a password login to it fails, in the time a wrong password takes).
 */
export async function accountForProviderLogin(
	accounts: AccountsRepository,
	identities: OidcIdentitiesRepository,
	login: ProviderAccount,
	options: { providerName: string; newAccountRoles: readonly string[] },
): Promise<{ account: Account; outcome: ProviderLoginOutcome }> {
	const known = await identities.find(login.issuer, login.subject);
	const knownAccount = known && (await accounts.findById(known.userId));
	if (knownAccount) {
		await identities.touch(known);
		return { account: knownAccount, outcome: "identity" };
	}
	if (!login.email || !login.emailVerified) throw new OidcEmailNotVerifiedError(options.providerName);
	let outcome: ProviderLoginOutcome = "linked";
	let account = await accounts.findByEmail(login.email);
	if (!account) {
		try {
			const unusable = await hashPassword(randomBytes(32).toString("base64url"));
			account = await accounts.create(login.email, unusable, options.newAccountRoles);
			outcome = "created";
		} catch (err) {
			// A signup (or this person's other tab) made it first: link to that one.
			if (!(err instanceof EmailTakenError)) throw err;
			account = await accounts.findByEmail(login.email);
			if (!account) throw err;
		}
	}
	const stored = await identities.link(
		{ issuer: login.issuer, subject: login.subject, userId: account.id },
		login.email,
	);
	if (stored.userId !== account.id) {
		// A concurrent first login of this provider account linked it first: log into that account.
		const linked = await accounts.findById(stored.userId);
		if (linked) return { account: linked, outcome: "identity" };
	}
	return { account, outcome };
}
