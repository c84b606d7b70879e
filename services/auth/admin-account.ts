import { ADMIN_ROLE } from "../../lib/auth/caller";
import type { AccountsRepository } from "./accounts.repository";
import { EmailTakenError } from "./auth.errors";
import { hashPassword, verifyPassword } from "./password-hash";

/** What ensureAdminAccount did, for the start-up log line. */
export type AdminAccountOutcome =
	| "created"
	| "promoted"
	| "password-changed"
	| "promoted-and-password-changed"
	| "unchanged";

/**
 * Makes sure the operator account of ADMIN_EMAIL / ADMIN_PASSWORD exists, has the admin role and that
 * password: creates it, or adds the role and sets the password of the one there. Returns the account's
 * id and what changed; `onPasswordChanged` runs when an existing account's password was replaced (its
 * sessions were opened with the old one). Several auth nodes may start at once: the unique email
 * decides which one creates it, and the others then find it.
 */
export async function ensureAdminAccount(
	accounts: AccountsRepository,
	admin: { email: string; password: string },
	onPasswordChanged: (userId: string) => Promise<void>,
): Promise<{ id: string; outcome: AdminAccountOutcome }> {
	for (let attempt = 0; ; attempt++) {
		const existing = await accounts.findByEmail(admin.email);
		if (!existing) {
			try {
				const created = await accounts.create(admin.email, await hashPassword(admin.password), [ADMIN_ROLE]);
				return { id: created.id, outcome: "created" };
			} catch (err) {
				// Another node created it between our read and our insert: update that one instead.
				if (err instanceof EmailTakenError && attempt === 0) continue;
				throw err;
			}
		}
		const promote = !existing.roles.includes(ADMIN_ROLE);
		if (promote) await accounts.setRoles(existing.id, [...existing.roles, ADMIN_ROLE]);
		const newPassword = !(await verifyPassword(admin.password, existing.passwordHash));
		if (newPassword) {
			await accounts.setPasswordHash(existing.id, await hashPassword(admin.password));
			await onPasswordChanged(existing.id);
		}
		const outcome =
			promote && newPassword
				? "promoted-and-password-changed"
				: promote
					? "promoted"
					: newPassword
						? "password-changed"
						: "unchanged";
		return { id: existing.id, outcome };
	}
}
