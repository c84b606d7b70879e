import type { ServiceSchema, ServiceSettingSchema } from "moleculer";

/**
 * Types a mixin's handlers against the members it adds (`this.kv`, `this.sequelize`, its methods)
 * and returns it in the shape `mixins: [...]` accepts.
 */
export function defineMixin<TVars extends object, TMethods extends object = object>(
	schema: Partial<ServiceSchema<ServiceSettingSchema, TMethods & Record<string, any>, TVars & Record<string, any>>>,
): Partial<ServiceSchema> {
	return schema as unknown as Partial<ServiceSchema>;
}

/** Types a service's handlers against the members its mixins add, for `broker.createService`. */
export function defineService<TVars extends object, TMethods extends object = object>(
	schema: ServiceSchema<
		ServiceSettingSchema & Record<string, any>,
		TMethods & Record<string, any>,
		TVars & Record<string, any>
	>,
): ServiceSchema {
	return schema as unknown as ServiceSchema;
}
