import type { ServiceSchema, ServiceSettingSchema } from "moleculer";

/** What @moleculer/channels adds to a schema (Moleculer's schema type is closed). */
interface ChannelsSchema {
	/** Durable channel subscriptions, by channel name. */
	channels?: Record<string, unknown>;
}

/**
 * Types a mixin's handlers against the members it adds (`this.kv`, `this.sequelize`, its methods)
 * and returns it in the shape `mixins: [...]` accepts.
 */
export function defineMixin<TVars extends object, TMethods extends object = object>(
	schema: Partial<ServiceSchema<ServiceSettingSchema, TMethods & Record<string, any>, TVars & Record<string, any>>> &
		ChannelsSchema,
): Partial<ServiceSchema> {
	return schema as unknown as Partial<ServiceSchema>;
}

/** Types a service's handlers against the members its mixins add, for `broker.createService`. */
export function defineService<TVars extends object, TMethods extends object = object>(
	schema: ServiceSchema<
		ServiceSettingSchema & Record<string, any>,
		TMethods & Record<string, any>,
		TVars & Record<string, any>
	> &
		ChannelsSchema,
): ServiceSchema {
	return schema as unknown as ServiceSchema;
}
