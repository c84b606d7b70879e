import { Middleware as ChannelsMiddleware } from "@moleculer/channels";
import type { Middleware } from "moleculer";
import type { AppConfig } from "../../config";
import { channelsAdapterOptions, eventsBackendOf } from "./channels-adapter";
import { EventsReadyMiddleware } from "./events-ready";
import { registerInProcessAdapter } from "./in-process-adapter";
import { registerShopKafkaAdapter } from "./kafka-adapter";
import { KafkaTopicsMiddleware } from "./kafka-topics.middleware";

/** The middlewares that give every service `channels` and the broker `sendToChannel`. */
export function eventsMiddlewares(config: AppConfig): Middleware[] {
	registerInProcessAdapter();
	registerShopKafkaAdapter();
	const channels = ChannelsMiddleware({
		adapter: channelsAdapterOptions(config),
	} as Parameters<typeof ChannelsMiddleware>[0]) as unknown as Middleware;
	const ready = EventsReadyMiddleware();
	return eventsBackendOf(config.events.url) === "kafka"
		? [KafkaTopicsMiddleware(config), channels, ready]
		: [channels, ready];
}
