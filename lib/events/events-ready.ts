import type { Middleware, ServiceBroker } from "moleculer";

const connected = new WeakSet<ServiceBroker>();

/**
 * Listed after the channels middleware, whose `started` hook connects the event adapter: this one's runs
 * once that connect has returned. `broker.started` turns true before either hook, so events written while
 * a node starts (the embedded demo catalog's) can find the adapter not connected yet with the broker
 * already "started".
 */
export function EventsReadyMiddleware(): Middleware {
	return {
		name: "EventsReady",
		async started(broker: ServiceBroker) {
			connected.add(broker);
		},
	};
}

/** Whether this node's event adapter has connected since it started (a later outage does not unset it). */
export function eventsConnectedSinceStart(broker: ServiceBroker): boolean {
	return connected.has(broker);
}
