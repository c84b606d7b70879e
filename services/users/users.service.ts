import type { Context, Service, ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import type { AppConfig } from "../../config";
import { requireCallerOf } from "../../lib/auth/caller";
import { defineService } from "../../lib/define-schema";
import { replyCreated, setReplyStatus } from "../../lib/reply-status";
import { DbMixin } from "../../mixins/db.mixin";
import { usersMigrations } from "./migrations";
import { AddressLimitError, AddressNotFoundError } from "./users.errors";
import {
	addressRefParams,
	createAddressParams,
	preferencesParams,
	replaceAddressParams,
	updateProfileParams,
} from "./users.params";
import { type AddressFields, type Preferences, type Profile, UsersRepository } from "./users.repository";

/** Addresses one account keeps at most: enough for home, work and gifts, not a mailing list. */
export const MAX_ADDRESSES = 20;

interface UsersVars {
	sequelize: Sequelize;
	repository: UsersRepository;
}

type UsersThis = Service & UsersVars;

/** The caller's user id, from the access token the gateway checked; never from the request. */
const userIdOf = (ctx: Context): string => requireCallerOf(ctx).sub;

/**
 * Shoppers' profiles, preferences and addresses. Every action works on the caller's own account:
 * there is no user id in any route, so one shopper cannot name another's data.
 */
export default function usersService(_config: AppConfig): ServiceSchema {
	return defineService<UsersVars>({
		name: "users",
		mixins: [DbMixin({ database: "users", migrations: usersMigrations })],

		actions: {
			me: {
				async handler(this: UsersThis, ctx: Context) {
					const userId = userIdOf(ctx);
					const [profile, addresses] = await Promise.all([
						this.repository.profile(userId),
						this.repository.addresses(userId),
					]);
					return { ...profile, addresses };
				},
			},

			updateProfile: {
				params: updateProfileParams,
				handler(this: UsersThis, ctx: Context<Partial<Pick<Profile, "displayName" | "phone">>>): Promise<Profile> {
					const { displayName, phone } = ctx.params;
					return this.repository.updateProfile(userIdOf(ctx), () => ({
						...(displayName !== undefined ? { displayName } : {}),
						...(phone !== undefined ? { phone } : {}),
					}));
				},
			},

			/** Merges the given preferences into the stored ones. */
			updatePreferences: {
				params: preferencesParams,
				async handler(this: UsersThis, ctx: Context<Preferences>): Promise<Preferences> {
					const saved = await this.repository.updateProfile(userIdOf(ctx), (current) => ({
						preferences: { ...current.preferences, ...ctx.params },
					}));
					return saved.preferences;
				},
			},

			addresses: {
				handler(this: UsersThis, ctx: Context) {
					return this.repository.addresses(userIdOf(ctx));
				},
			},

			addAddress: {
				params: createAddressParams,
				async handler(this: UsersThis, ctx: Context<AddressFields>) {
					const address = await this.repository.addAddress(userIdOf(ctx), ctx.params, MAX_ADDRESSES);
					if (!address) throw new AddressLimitError(MAX_ADDRESSES);
					replyCreated(ctx, `/api/users/me/addresses/${address.id}`);
					return address;
				},
			},

			replaceAddress: {
				params: replaceAddressParams,
				async handler(this: UsersThis, ctx: Context<AddressFields & { id: string }>) {
					const { id, ...fields } = ctx.params;
					const address = await this.repository.replaceAddress(userIdOf(ctx), id, fields);
					if (!address) throw new AddressNotFoundError(id);
					return address;
				},
			},

			removeAddress: {
				params: addressRefParams,
				async handler(this: UsersThis, ctx: Context<{ id: string }>) {
					if (!(await this.repository.removeAddress(userIdOf(ctx), ctx.params.id))) {
						throw new AddressNotFoundError(ctx.params.id);
					}
					setReplyStatus(ctx, 204);
					return null;
				},
			},

			/** Internal (notifications): a user's preferences (`orderUpdates: false` turns order mails off). */
			preferencesOf: {
				visibility: "public",
				params: { userId: { type: "string", min: 1, max: 64 } },
				async handler(this: UsersThis, ctx: Context<{ userId: string }>) {
					return (await this.repository.profile(ctx.params.userId)).preferences;
				},
			},
		},

		async started(this: UsersThis) {
			this.repository = new UsersRepository(this.sequelize);
		},
	});
}
