import type { ServiceBroker } from "moleculer";
import { OutboxNotFoundError, UnknownServiceError } from "./events.errors";

/** The operator actions OutboxMixin adds to every producing service. */
export type OutboxAction = "outboxStatus" | "outboxReplay";

/** A service name as SERVICES spells it; anything else cannot name a registered service. */
export const SERVICE_NAME = /^[a-z][a-z0-9-]{0,63}$/;

interface RegistryLists {
	getServiceList(opts: { onlyAvailable?: boolean; skipInternal?: boolean }): Array<{ name: string }>;
	getActionList(opts: { onlyAvailable?: boolean; skipInternal?: boolean }): Array<{ name: string }>;
}

function registryOf(broker: ServiceBroker): RegistryLists {
	return broker.registry as unknown as RegistryLists;
}

/**
 * Services with an outbox: those registering `<service>.outboxStatus`, except `self` (the events
 * service's own `outboxStatus` aggregates the others; counting it would make it call itself).
 */
export function outboxServices(broker: ServiceBroker, self: string, opts: { onlyAvailable: boolean }): string[] {
	const names = registryOf(broker)
		.getActionList({ onlyAvailable: opts.onlyAvailable, skipInternal: true })
		.map((a) => a.name)
		.filter((name) => name.endsWith(".outboxStatus"))
		.map((name) => name.slice(0, -".outboxStatus".length))
		.filter((service) => service !== self);
	return [...new Set(names)].sort();
}

/**
 * `<service>.<action>` when `service` has an outbox; otherwise 404 naming why: no such service, or a
 * service without an outbox. (A service whose nodes are all down still resolves here, and the call
 * answers 503: that is an outage, not a wrong name.)
 */
export function outboxActionOf(broker: ServiceBroker, self: string, service: string, action: OutboxAction): string {
	if (outboxServices(broker, self, { onlyAvailable: false }).includes(service)) return `${service}.${action}`;
	const known = registryOf(broker).getServiceList({ onlyAvailable: false, skipInternal: true });
	if (known.some((s) => s.name === service)) throw new OutboxNotFoundError(service);
	throw new UnknownServiceError(service);
}
