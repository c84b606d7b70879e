/**
 * Type test, run by `npm run typecheck` (never executed): `this` in every kind of handler is exactly the
 * Service plus what the schema declares. Each `@ts-expect-error` line must stay an error, else tsc fails
 * ("Unused '@ts-expect-error' directive"); the line next to it shows the real member compiles.
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from "moleculer";
import { defineMixin, defineService } from "../../lib/define-schema";

interface CounterVars {
	counts: Map<string, number>;
}

interface CounterMethods {
	bump(key: string): number;
}

/** A mixin's method, declared by the services that use it. */
interface GreeterMethods {
	greet(name: string): string;
}

interface CounterSettings extends ServiceSettingSchema {
	greeting: string;
}

/** A channel handler written outside the schema, for a host the service must satisfy. */
interface AuditHost {
	counts: Map<string, number>;
	auditTrail: string[];
}
async function auditHandler(this: AuditHost, payload: { key: string }) {
	this.auditTrail.push(payload.key);
}
async function countHandler(this: CounterVars, payload: { key: string }) {
	this.counts.set(payload.key, 0);
}

export const greeterMixin: Partial<ServiceSchema> = defineMixin<object, GreeterMethods>({
	methods: {
		greet(name) {
			// @ts-expect-error: a misspelt Service member in a mixin's method
			this.loger.info(name);
			this.logger.info(name);
			return `hello ${name}`;
		},
	},
	created() {
		// @ts-expect-error: a member of the service that uses the mixin, not declared by the mixin
		this.counts.clear();
		this.greet(this.name);
	},
});

export const counterService: ServiceSchema = defineService<
	CounterVars,
	CounterMethods & GreeterMethods,
	CounterSettings
>({
	name: "counter",
	mixins: [greeterMixin],
	settings: { greeting: "hi" },

	actions: {
		bump: {
			params: { key: "string" },
			handler(ctx: Context<{ key: string }>): number {
				// @ts-expect-error: a misspelt var in an action
				this.countz.get(ctx.params.key);
				this.counts.get(ctx.params.key);
				// @ts-expect-error: a misspelt setting
				this.settings.greetin.toUpperCase();
				this.settings.greeting.toUpperCase();
				this.broker.logger.debug(this.broker.nodeID, this.schema.name, this.greet("x"));
				return this.bump(ctx.params.key);
			},
		},
		count(ctx: Context<{ key: string }>) {
			// @ts-expect-error: a misspelt method in a shorthand action
			return this.bumb(ctx.params.key);
		},
	},

	methods: {
		bump(key) {
			const next = (this.counts.get(key) ?? 0) + 1;
			// @ts-expect-error: a misspelt var in a method
			this.count.set(key, next);
			this.counts.set(key, next);
			return next;
		},
		// @ts-expect-error: a method nobody declared
		reset() {},
	},

	events: {
		"counter.reset"() {
			// @ts-expect-error: a misspelt var in an event handler
			this.countss.clear();
			this.counts.clear();
		},
	},

	channels: {
		"counter.bumped.v1": {
			group: "counter",
			async handler(payload: { key: string }) {
				// @ts-expect-error: a misspelt method in a channel handler
				this.bumpp(payload.key);
				this.bump(payload.key);
			},
		},
		"counter.counted.v1": countHandler,
		// @ts-expect-error: a handler whose host needs a member the service does not have
		"counter.audited.v1": { group: "counter", handler: auditHandler },
	},

	created() {
		// @ts-expect-error: a misspelt var in `created`
		this.countz = new Map();
		this.counts = new Map();
	},

	async started() {
		// @ts-expect-error: a misspelt Service member in `started`
		await this.broker.waitForServises("counter");
		await this.broker.waitForServices("counter");
	},

	stopped() {
		// @ts-expect-error: a misspelt Service member in `stopped`
		this.loggr.info(`${this.name} stopped`);
		this.logger.info(`${this.name} stopped`);
	},
});

export const badSettings: ServiceSchema = defineService<CounterVars, object, CounterSettings>({
	name: "bad-settings",
	// @ts-expect-error: a setting of the wrong type
	settings: { greeting: 42 },
});
