import type { EventSchema, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import type { ChannelSchemas } from "./events/channel-schema";

/**
 * `this` in every handler of a service or mixin: what Moleculer's Service has (`broker`, `logger`, `name`,
 * `settings`, `schema`...) and exactly the members the schema declares: no index signature, so a
 * misspelt member does not compile.
 */
export type ServiceThis<TVars, TMethods, TSettings = ServiceSettingSchema> = Service<TSettings> & TVars & TMethods;

/** Moleculer's event handler with `this` checked as strictly as an action's (Moleculer's own type only hints it). */
export type EventHandler<TThis> = (
	this: TThis,
	...args: Parameters<MoleculerEventHandler>
) => ReturnType<MoleculerEventHandler>;

type MoleculerEventHandler = NonNullable<EventSchema["handler"]>;

/** An event subscription with options. */
export interface EventHandlerSchema<TThis> extends Omit<EventSchema, "handler"> {
	handler?: EventHandler<TThis>;
}

/**
 * Moleculer's schema with `this` exact in actions, hooks, lifecycle handlers, methods, events and
 * channels. `methods` may hold only declared methods (a mixin may implement the others), typed as declared.
 */
type TypedSchema<TVars, TMethods, TSettings> = Omit<
	ServiceSchema<TSettings, TMethods, TVars, ServiceThis<TVars, TMethods, TSettings>>,
	"methods" | "events"
> & {
	methods?: { [K in keyof TMethods]?: TMethods[K] } & ThisType<ServiceThis<TVars, TMethods, TSettings>>;
	events?: Record<
		string,
		EventHandler<ServiceThis<TVars, TMethods, TSettings>> | EventHandlerSchema<ServiceThis<TVars, TMethods, TSettings>>
	>;
	/** Durable channel subscriptions (@moleculer/channels), by channel name. */
	channels?: ChannelSchemas<ServiceThis<TVars, TMethods, TSettings>>;
};

/**
 * Types a mixin's handlers against the members it adds (`this.kv`, `this.sequelize`, its methods) and
 * those it uses from other mixins, and returns it in the shape `mixins: [...]` accepts.
 */
export function defineMixin<TVars extends object, TMethods extends object = object>(
	schema: Partial<TypedSchema<TVars, TMethods, ServiceSettingSchema>>,
): Partial<ServiceSchema> {
	return schema as unknown as Partial<ServiceSchema>;
}

/**
 * Types a service's handlers against its own members and those its mixins add (`TVars`, `TMethods`,
 * both declared by the service), for `broker.createService`.
 */
export function defineService<
	TVars extends object,
	TMethods extends object = object,
	TSettings extends ServiceSettingSchema = ServiceSettingSchema,
>(schema: TypedSchema<TVars, TMethods, TSettings>): ServiceSchema {
	return schema as unknown as ServiceSchema;
}
